package dev.tether.codec.kryo;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Registration;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.util.EnumSet;

/**
 * Writes an {@link EnumSet} as its enum's class id, the number of constants it holds and their
 * ordinals, and reads it back as an {@code EnumSet} of the same enum.
 *
 * <pre>
 * +------------------+-----------------+-------------------------+
 * | enum class id    | count : varint  | count × ordinal : varint |
 * +------------------+-----------------+-------------------------+
 * </pre>
 *
 * <p>The enum must be registered, as every class a {@code kryo} codec writes. An ordinal this
 * side's enum lacks fails the decode; a count larger than the bytes left is refused before reading.
 * Registered for {@code RegularEnumSet} and {@code JumboEnumSet}, the JDK's two implementations.
 *
 * <p>This class is thread safe; it keeps no state.
 */
final class EnumSetSerializer extends Serializer<EnumSet<?>> {
  EnumSetSerializer() {
    super(false, false);
  }

  @Override
  public void write(Kryo kryo, Output output, EnumSet<?> set) {
    kryo.writeClass(output, elementType(set));
    output.writeVarInt(set.size(), true);
    for (Enum<?> constant : set) {
      output.writeVarInt(constant.ordinal(), true);
    }
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public EnumSet<?> read(Kryo kryo, Input input, Class<? extends EnumSet<?>> type) {
    Registration registration = kryo.readClass(input);
    if (registration == null || !registration.getType().isEnum()) {
      throw new KryoException(
          "an EnumSet names "
              + (registration == null ? "no class" : registration.getType().getName())
              + " as its element type, which is not an enum");
    }
    Class<? extends Enum> elementType = (Class<? extends Enum>) registration.getType();
    Enum<?>[] constants = elementType.getEnumConstants();
    int count = input.readVarInt(true);
    PayloadBounds.check(input, count, 1, "EnumSet");
    EnumSet set = EnumSet.noneOf(elementType);
    for (int i = 0; i < count; i++) {
      int ordinal = input.readVarInt(true);
      if (ordinal < 0 || ordinal >= constants.length) {
        throw new KryoException(
            "an EnumSet of "
                + elementType.getName()
                + " holds ordinal "
                + ordinal
                + ", but the enum has "
                + constants.length
                + " constants");
      }
      set.add(constants[ordinal]);
    }
    return set;
  }

  /** The set's enum, found even when the set is empty (from its complement). */
  private static Class<?> elementType(EnumSet<?> set) {
    EnumSet<?> some = set.isEmpty() ? EnumSet.complementOf(set) : set;
    if (some.isEmpty()) {
      throw new KryoException("an empty EnumSet of an enum without constants has no element type");
    }
    return some.iterator().next().getDeclaringClass();
  }
}
