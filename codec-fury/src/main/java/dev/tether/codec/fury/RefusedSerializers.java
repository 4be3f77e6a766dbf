package dev.tether.codec.fury;

import java.util.Collection;
import java.util.Map;
import org.apache.fory.context.ReadContext;
import org.apache.fory.context.WriteContext;
import org.apache.fory.resolver.TypeResolver;
import org.apache.fory.serializer.Serializer;
import org.apache.fory.serializer.collection.CollectionSerializer;
import org.apache.fory.serializer.collection.MapSerializer;

/**
 * Stand in for Fory's serializers of the JDK containers the codec does not carry, on both ends: one
 * whose inserts cost quadratic time ({@code CopyOnWriteArrayList}, {@code CopyOnWriteArraySet}), or
 * that no message needs and the codec does not check ({@code Vector}, {@code PriorityQueue}, the
 * concurrent collections). Fory would carry them; a peer that sends one gets the same refusal as a
 * sender that tries. (Fory accepts only a collection serializer for a collection class, hence one
 * class for each kind.)
 */
final class RefusedSerializers {
  private RefusedSerializers() {}

  private static String reason(Class<?> type, String instead) {
    return "class " + type.getName() + " is not carried by the fury codec; use " + instead;
  }

  /** Refuses a collection class. Thread safe: it keeps no state of its own. */
  @SuppressWarnings({"rawtypes", "unchecked"})
  static final class RefusedCollection extends CollectionSerializer<Collection> {
    private final String reason;

    RefusedCollection(TypeResolver resolver, Class<?> type, String instead) {
      super(resolver, (Class) type, true);
      this.reason = reason(type, instead);
    }

    @Override
    public Collection onCollectionWrite(WriteContext context, Collection value) {
      throw new FuryLimitException(reason);
    }

    @Override
    public Collection newCollection(ReadContext context, boolean readDataAlwaysAdvances) {
      throw new FuryLimitException("the payload holds a " + reason.substring("class ".length()));
    }
  }

  /**
   * Refuses a bare {@code java.lang.Object}, which Fory otherwise creates from a payload that names
   * it (a fuzzer made it fill an untyped list with them) and then writes as bytes its own reader
   * cannot read back. Such an object has no content a message could mean. Thread safe.
   */
  static final class RefusedObject extends Serializer<Object> {
    RefusedObject(TypeResolver resolver) {
      super(resolver.getConfig(), Object.class, true);
    }

    @Override
    public void write(WriteContext context, Object value) {
      throw new FuryLimitException(
          "a bare java.lang.Object is not carried by the fury codec: it has no content to send");
    }

    @Override
    public Object read(ReadContext context) {
      throw new FuryLimitException(
          "the payload holds a bare java.lang.Object, which the fury codec does not carry");
    }
  }

  /** Refuses a map class. Thread safe: it keeps no state of its own. */
  @SuppressWarnings({"rawtypes", "unchecked"})
  static final class RefusedMap extends MapSerializer<Map> {
    private final String reason;

    RefusedMap(TypeResolver resolver, Class<?> type, String instead) {
      super(resolver, (Class) type, true);
      this.reason = reason(type, instead);
    }

    @Override
    public Map onMapWrite(WriteContext context, Map value) {
      throw new FuryLimitException(reason);
    }

    @Override
    public Map newMap(ReadContext context, boolean readDataAlwaysAdvances) {
      throw new FuryLimitException("the payload holds a " + reason.substring("class ".length()));
    }
  }
}
