package dev.tether.codec.kryo;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Output;
import dev.tether.testing.ContractTypes;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Kryo payloads no honest peer sends, built with Kryo's own {@link Output} so that each varint is
 * exactly what Kryo would write; the hex beside each says what the bytes are.
 */
final class HostilePayloads {
  /** Kryo class id of {@code ArrayList} in every {@code kryo} codec (id 20, written as 20 + 2). */
  static final int ARRAY_LIST_CLASS = 20 + 2;

  /** Kryo class id of {@code HashMap} (id 26, written as 26 + 2). */
  static final int HASH_MAP_CLASS = 26 + 2;

  private HostilePayloads() {}

  /**
   * A non-ASCII string declaring {@code chars} characters, then "abc". For {@code Integer.MAX_VALUE
   * - 1}: {@code ff ffffff 0f 616263}, the UTF-8 flag (0x80) and a varint of 2<sup>31</sup>-1 =
   * chars + 1.
   */
  static byte[] utf8String(int chars) {
    Output out = new Output(32);
    out.writeVarIntFlag(true, chars + 1, true);
    out.writeBytes(new byte[] {'a', 'b', 'c'});
    return out.toBytes();
  }

  /**
   * A {@code byte[]} declaring {@code length} bytes, then 3: {@code ffffffff07 010203} for 2^31-2.
   */
  static byte[] byteArray(int length) {
    Output out = new Output(32);
    out.writeVarInt(length + 1, true);
    out.writeBytes(new byte[] {1, 2, 3});
    return out.toBytes();
  }

  /** An {@code ArrayList} (class id) declaring {@code size} elements, then three {@code null}s. */
  static byte[] arrayList(int size) {
    Output out = new Output(32);
    out.writeVarInt(ARRAY_LIST_CLASS, true);
    out.writeVarInt(size + 1, true);
    out.writeBytes(new byte[] {0, 0, 0});
    return out.toBytes();
  }

  /** A {@code HashMap} (class id) declaring {@code size} entries, then one null-to-null entry. */
  static byte[] hashMap(int size) {
    Output out = new Output(32);
    out.writeVarInt(HASH_MAP_CLASS, true);
    out.writeVarInt(size + 1, true);
    out.writeBytes(new byte[] {0, 0});
    return out.toBytes();
  }

  /** Kryo class id of {@code HashSet} (id 23, written as 23 + 2). */
  static final int HASH_SET_CLASS = 23 + 2;

  /** Kryo class id of {@code Object[]} (id 19, written as 19 + 2). */
  static final int OBJECT_ARRAY_CLASS = 19 + 2;

  /**
   * Containers nested {@code levels} deep, {@code totalBytes} in all, each declaring as many
   * elements as bytes remain after its header, so that every container's own count passes the check
   * against the bytes left, and holding the next in its first slot; the innermost is filled with
   * null elements ({@code 00}). Decoded as a message whose first component is a field typed {@code
   * List} or {@code Object} ({@code UntypedList}, {@code Untyped}): 263 KB of it made Kryo
   * pre-allocate 205 MB.
   *
   * <pre>
   *   16 83c010   ArrayList (class id 20 + 2), 263,170 elements + 1
   *   16 fdbf10     ArrayList, 263,165 elements + 1, the first element of the one above
   *   ...
   *   00 00 00 …      null elements, filling the innermost
   * </pre>
   */
  static byte[] nestedPresized(int classIdByte, int levels, int totalBytes) {
    byte[] rest = new byte[totalBytes - levels * 4]; // nulls; a header is at most 4 bytes here
    for (int i = 0; i < levels; i++) {
      Output header = new Output(8);
      header.writeVarInt(classIdByte, true);
      header.writeVarInt(rest.length + 1, true); // every remaining byte an element
      byte[] bytes = header.toBytes();
      byte[] wrapped = new byte[bytes.length + rest.length];
      System.arraycopy(bytes, 0, wrapped, 0, bytes.length);
      System.arraycopy(rest, 0, wrapped, bytes.length, rest.length);
      rest = wrapped;
    }
    return rest;
  }

  /** The oversized payloads of the hostile-input contract. */
  static List<byte[]> oversizedLengths() {
    return List.of(
        utf8String(Integer.MAX_VALUE - 1),
        utf8String(1 << 24), // 16 Mi chars: within a frame's length, not within these bytes
        byteArray(Integer.MAX_VALUE - 1),
        byteArray(1 << 24),
        arrayList(Integer.MAX_VALUE - 1),
        arrayList(1 << 24),
        hashMap(Integer.MAX_VALUE - 1),
        hashMap(1 << 24));
  }

  /**
   * {@code Deep} nested {@code levels} deep: each level is a not-null marker (0x01) before the next
   * {@code Deep}'s single component, and the innermost is null (0x00).
   */
  static byte[] deep(int levels) {
    byte[] payload = new byte[levels + 1];
    Arrays.fill(payload, 0, levels, (byte) 1);
    return payload;
  }

  /**
   * A real Kryo encoding of a {@link ContractTypes.Collections} whose list is a {@link
   * CopyOnWriteArrayList} and whose map a {@link ConcurrentHashMap}, neither of them registered:
   * written by a Kryo with registration turned off, which names unregistered classes in the payload
   * ({@code 01} then the class name).
   */
  static byte[] unregisteredJdkClasses() {
    Kryo kryo = new Kryo();
    kryo.setRegistrationRequired(false);
    Output out = new Output(256);
    kryo.writeObject(
        out,
        new ContractTypes.Collections(
            new CopyOnWriteArrayList<>(List.of("a")),
            null,
            new ConcurrentHashMap<>(Map.of("k", 1L)),
            null));
    return out.toBytes();
  }

  /**
   * The same message written by a Kryo that requires registration and has {@link ConcurrentHashMap}
   * registered under an id the codec does not know: the payload names the class by id rather than
   * by name.
   */
  static byte[] unregisteredClassId() {
    Kryo kryo = new Kryo();
    kryo.register(ContractTypes.Collections.class);
    kryo.register(ConcurrentHashMap.class, 500);
    Output out = new Output(256);
    kryo.writeObject(
        out, new ContractTypes.Collections(null, null, new ConcurrentHashMap<>(Map.of()), null));
    return out.toBytes();
  }
}
