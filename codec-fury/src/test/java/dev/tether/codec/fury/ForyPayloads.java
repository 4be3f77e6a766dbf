package dev.tether.codec.fury;

import dev.tether.codec.CodecLimits;
import dev.tether.testing.ContractCodecs;
import dev.tether.testing.ContractTypes;
import dev.tether.testing.ContractTypes.Bytes;
import dev.tether.testing.ContractTypes.Color;
import dev.tether.testing.ContractTypes.Deep;
import dev.tether.testing.ContractTypes.Nested;
import dev.tether.testing.ContractTypes.Point;
import dev.tether.testing.ContractTypes.Text;
import dev.tether.testing.Hex;
import dev.tether.testing.MatrixTypes;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.fory.Fory;
import org.apache.fory.memory.MemoryBuffer;

/**
 * Fory payloads no honest peer sends. Varints are written with Fory's own {@link MemoryBuffer}, so
 * each is exactly what Fory would write; the comment beside each part says what the bytes are.
 *
 * <p>Every {@code fury} payload starts with the same 8 bytes for a given message type:
 *
 * <pre>
 *   00           header bitmap: Java mode, no out-of-band buffers
 *   ff           root reference flag: not null
 *   1b           Fory type kind STRUCT
 *   02           registered id, a varint (Text is message type 2)
 *   0e 64 86 ef  class version hash of the record's fields
 * </pre>
 *
 * then the record's components, sorted by Fory (for these records: by name), each nullable one
 * behind a flag: {@code fd} null, {@code ff} not null. The hash depends only on the record's
 * fields, so {@link #prefix} takes it from a real encoding rather than hard-coding it.
 */
final class ForyPayloads {
  /** Reference flag of a null value. */
  static final int NULL = 0xfd;

  /** Reference flag of a value that follows. */
  static final int NOT_NULL = 0xff;

  /** Fory's internal type id of {@code java.util.ArrayList}, as written before its size. */
  static final int ARRAY_LIST = 0x5a;

  /** Fory's internal type id of {@code java.util.HashMap}. */
  static final int HASH_MAP = 0x5b;

  /** Fory's internal type id of {@code java.util.HashSet}. */
  static final int HASH_SET = 0x5c;

  /** Collection header: elements not null, all of the declared type. */
  static final int SAME_DECLARED_TYPE = 0x0c;

  /** String coders, the low two bits of a string's header. */
  static final int LATIN1 = 0;

  static final int UTF16 = 1;

  static final int UTF8 = 2;

  /** Flags no other int of a payload that holds one pattern is likely to equal. */
  private static final int PATTERN_FLAGS =
      Pattern.CASE_INSENSITIVE
          | Pattern.COMMENTS
          | Pattern.MULTILINE
          | Pattern.DOTALL
          | Pattern.UNICODE_CASE;

  private ForyPayloads() {}

  /** Returns the 8 bytes every encoding of {@code type} starts with, taken from a real one. */
  static byte[] prefix(Class<?> type) {
    Object sample =
        type == MatrixTypes.UntypedList.class
            ? new MatrixTypes.UntypedList(null)
            : type == Text.class
                ? new Text("", null)
                : type == Bytes.class
                    ? new Bytes(new byte[0])
                    : type == Nested.class
                        ? new Nested(null, null, null, null)
                        : type == Deep.class
                            ? new Deep(null)
                            : new ContractTypes.Collections(null, null, null, null);
    boolean matrix = type == MatrixTypes.UntypedList.class;
    byte[] whole =
        ContractCodecs.encode(
            matrix
                ? ContractCodecs.codec("fury", MatrixTypes.TYPES, CodecLimits.defaults())
                : ContractCodecs.codec("fury"),
            sample);
    byte[] prefix = Arrays.copyOf(whole, 8);
    int id = (matrix ? MatrixTypes.TYPES : ContractTypes.TYPES).entryFor(type).id();
    if (prefix[0] != 0 || (prefix[1] & 0xff) != NOT_NULL || prefix[2] != 0x1b || prefix[3] != id) {
      throw new AssertionError("unexpected Fory header " + Hex.encode(prefix) + " for " + type);
    }
    return prefix;
  }

  /**
   * A pattern of one character and {@code count} combining marks, with {@link #PATTERN_FLAGS}: its
   * compile with {@code CANON_EQ} takes time and memory that grow factorially with the count.
   */
  static Pattern combiningMarks(int count) {
    StringBuilder marks = new StringBuilder("a");
    for (int i = 0; i < count; i++) {
      marks.append((char) (0x0300 + i));
    }
    return Pattern.compile(marks.toString(), PATTERN_FLAGS);
  }

  /**
   * {@code payload}, which holds one pattern with {@link #PATTERN_FLAGS}, with {@code CANON_EQ}
   * added to them: a payload the codec's writer refuses to make.
   */
  static byte[] withCanonEq(byte[] payload) {
    byte[] flags = new byte[4];
    ByteBuffer.wrap(flags).order(ByteOrder.LITTLE_ENDIAN).putInt(PATTERN_FLAGS);
    int at = -1;
    for (int i = 0; i + 4 <= payload.length; i++) {
      if (Arrays.equals(payload, i, i + 4, flags, 0, 4)) {
        if (at >= 0) {
          throw new AssertionError("the pattern's flags occur twice in " + Hex.encode(payload));
        }
        at = i;
      }
    }
    if (at < 0) {
      throw new AssertionError("no pattern's flags in " + Hex.encode(payload));
    }
    byte[] patched = payload.clone();
    ByteBuffer.wrap(patched)
        .order(ByteOrder.LITTLE_ENDIAN)
        .putInt(at, PATTERN_FLAGS | Pattern.CANON_EQ);
    return patched;
  }

  /** A string header (length in bytes and coder) as Fory's varint, followed by nothing. */
  static byte[] stringHeader(long numBytes, int coder) {
    MemoryBuffer buffer = MemoryBuffer.newHeapBuffer(16);
    buffer.writeVarUInt64((numBytes << 2) | coder); // read back as a 36-bit varint
    return buffer.getBytes(0, buffer.writerIndex());
  }

  /** A size or count as Fory's varint. */
  static byte[] size(int count) {
    MemoryBuffer buffer = MemoryBuffer.newHeapBuffer(16);
    buffer.writeVarUInt32Small7(count);
    return buffer.getBytes(0, buffer.writerIndex());
  }

  /** {@code Text(nullable = null, value = <string declaring numBytes, then "abc">)}. */
  static byte[] text(long numBytes, int coder) {
    return concat(
        prefix(Text.class),
        bytes(NULL), // nullable: null
        bytes(NOT_NULL), // value: not null
        stringHeader(numBytes, coder), // declared length and coder
        Hex.decode("616263")); // "abc"
  }

  /** {@code Text(nullable = null, value = <string of coder, then body>)}. */
  static byte[] text(int coder, byte[] body) {
    return concat(
        prefix(Text.class),
        bytes(NULL), // nullable: null
        bytes(NOT_NULL), // value: not null
        stringHeader(body.length, coder), // length and coder
        body);
  }

  /**
   * {@code Text(nullable = null, value = text as UTF-8)}: as Fory writes UTF-8 in Java mode, the
   * header declares the UTF-16 size, then an int32 gives the UTF-8 size.
   */
  static byte[] utf8Text(String text) {
    byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
    MemoryBuffer size = MemoryBuffer.newHeapBuffer(4);
    size.writeInt32(utf8.length);
    return concat(
        prefix(Text.class),
        bytes(NULL), // nullable: null
        bytes(NOT_NULL), // value: not null
        stringHeader(text.length() * 2L, UTF8), // the UTF-16 size and coder
        size.getBytes(0, 4), // the UTF-8 size
        utf8);
  }

  /** {@code Bytes(data = <byte[] declaring length, then 01 02 03>)}. */
  static byte[] byteArray(int length) {
    return concat(
        prefix(Bytes.class),
        bytes(NOT_NULL), // data: not null
        size(length), // declared length
        Hex.decode("010203"));
  }

  /** {@code Nested(missing = null, name = "n", origin = null, path = ArrayList of count)}. */
  static byte[] nestedPath(int count) {
    return concat(
        prefix(Nested.class),
        bytes(NULL), // missing: null
        bytes(NOT_NULL), // name: not null
        stringHeader(1, LATIN1), // 1 byte, Latin-1
        Hex.decode("6e"), // "n"
        bytes(NULL), // origin: null
        bytes(NOT_NULL, ARRAY_LIST), // path: an ArrayList
        size(count), // declared element count
        bytes(SAME_DECLARED_TYPE), // every element a Point
        pointHash(), // the first Point: its version hash,
        Hex.decode("02 04 ff00")); // x = 1, y = 2 (zigzag varints), color: not null, RED
  }

  /** The class version hash of {@code Point}, taken from a real encoding of one. */
  static byte[] pointHash() {
    Nested one = new Nested("n", null, new ArrayList<>(List.of(new Point(1, 2, Color.RED))), null);
    byte[] whole = ContractCodecs.encode(ContractCodecs.codec("fury"), one);
    // prefix (8), missing fd, name ff 04 6e, origin fd, path ff 5a 01 0c: the hash is at 17.
    return Arrays.copyOfRange(whole, 17, 21);
  }

  /**
   * {@code Collections(colors, counts, ids = null, names = ArrayList declaring count strings)},
   * followed by {@code "a"} up to three times.
   */
  static byte[] names(int count) {
    return concat(
        prefix(ContractTypes.Collections.class),
        bytes(NULL, NULL, NULL), // colors, counts, ids: null
        bytes(NOT_NULL, ARRAY_LIST), // names: an ArrayList
        size(count), // declared element count
        bytes(SAME_DECLARED_TYPE), // every element a String
        repeat(Hex.decode("0461"), Math.min(count, 3))); // "a": 1 byte, Latin-1
  }

  /** {@code Collections(colors = null, counts = HashMap of count entries, ...)}. */
  static byte[] counts(int count) {
    return concat(
        prefix(ContractTypes.Collections.class),
        bytes(NULL), // colors: null
        bytes(NOT_NULL, HASH_MAP), // counts: a HashMap
        size(count), // declared entry count
        Hex.decode("24 01"), // a chunk header: keys and values of the declared types, 1 entry
        Hex.decode("0461 02000000"), // "a" -> 1L
        bytes(NULL, NULL)); // ids, names: null
  }

  /**
   * {@code Collections(colors = null, counts = null, ids = HashSet declaring count, names = null)},
   * with the integers 1, 2, 3 for as many of them as it declares.
   */
  static byte[] ids(int count) {
    return concat(
        prefix(ContractTypes.Collections.class),
        bytes(NULL, NULL), // colors, counts: null
        bytes(NOT_NULL, HASH_SET), // ids: a HashSet
        size(count), // declared element count
        bytes(SAME_DECLARED_TYPE), // every element an Integer
        Arrays.copyOf(Hex.decode("02 04 06"), Math.min(count, 3)), // 1, 2, 3: zigzag varints
        bytes(NULL)); // names: null
  }

  /**
   * {@code UntypedList} whose list holds, in its first slot, a list that holds another, {@code
   * levels} deep, {@code totalBytes} in all; each list declares as many elements as bytes remain
   * after its header, so that each count passes Fory's check against the bytes left, and the
   * innermost is filled with nulls. 263 KB of it made Fory reserve 134 MB before its 128 MiB
   * graph-memory gate stopped it.
   *
   * <pre>
   *   prefix of UntypedList (8 bytes), ff 5a       values: not null, an ArrayList
   *   varint n, 0a, 5a                             n elements, some null, the others ArrayLists
   *   ff                                           the first: not null, and then its own header…
   *   varint m, 0a, 5e, fd × m                     the innermost: m elements, all null
   * </pre>
   */
  static byte[] nestedLists(int levels, int totalBytes) {
    byte[] prefix = concat(prefix(MatrixTypes.UntypedList.class), bytes(NOT_NULL, ARRAY_LIST));
    int nulls = totalBytes - prefix.length - levels * 6 - 6;
    byte[] rest = concat(size(nulls), bytes(0x0a, 0x5e), repeat(bytes(NULL), nulls));
    for (int i = 1; i < levels; i++) {
      byte[] body = concat(bytes(NOT_NULL), rest);
      rest = concat(size(body.length), bytes(0x0a, ARRAY_LIST), body);
    }
    return concat(prefix, rest);
  }

  /** The oversized payloads of the hostile-input contract: 2^31-1 and 2^24, then 3 items. */
  static List<byte[]> oversizedLengths() {
    List<byte[]> payloads = new ArrayList<>();
    for (int declared : new int[] {Integer.MAX_VALUE, 1 << 24}) {
      payloads.add(text(declared, LATIN1));
      payloads.add(text(declared - 1, UTF16)); // UTF-16 needs an even length
      payloads.add(text(declared, UTF8));
      payloads.add(byteArray(declared));
      payloads.add(nestedPath(declared));
      payloads.add(names(declared));
      payloads.add(counts(declared));
      payloads.add(ids(declared));
    }
    payloads.add(text((1L << 33) - 1, LATIN1)); // a length past Integer.MAX_VALUE
    return payloads;
  }

  /**
   * {@code Deep} nested {@code levels} deep: each level is a not-null flag and the record's version
   * hash before the next {@code Deep}'s single component; the innermost is null.
   */
  static byte[] deep(int levels) {
    byte[] prefix = prefix(Deep.class);
    byte[] level = concat(bytes(NOT_NULL), Arrays.copyOfRange(prefix, 4, 8));
    ByteArrayOutputStream out =
        new ByteArrayOutputStream(prefix.length + levels * level.length + 1);
    out.writeBytes(prefix); // the root Deep
    for (int i = 1; i < levels; i++) {
      out.writeBytes(level); // inner: another Deep
    }
    out.write(NULL); // the innermost inner: null
    return out.toByteArray();
  }

  /**
   * Serializes {@code message} with a Fory that has this codec's settings and registrations but
   * does not require registration, so that it writes any class, by name if it is not registered.
   */
  static byte[] serializeWithoutRegistration(Object message) {
    return openFory().serialize(message);
  }

  /**
   * Returns a Fory with this codec's settings and the registrations of {@link ContractTypes#TYPES},
   * but with class registration not required: it reads and writes any class.
   */
  static Fory openFory() {
    Fory open =
        FuryRegistrations.configure(Fory.builder())
            .requireClassRegistration(false)
            .suppressClassRegistrationWarnings(true)
            .build();
    return FuryRegistrations.of(ContractTypes.TYPES).registerWith(open);
  }

  static byte[] repeat(byte[] part, int times) {
    byte[][] parts = new byte[times][];
    Arrays.fill(parts, part);
    return concat(parts);
  }

  static byte[] bytes(int... values) {
    byte[] bytes = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      bytes[i] = (byte) values[i];
    }
    return bytes;
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }
}
