package dev.tether.codec.jackson;

import static dev.tether.codec.jackson.CborPrescan.MAJOR_BYTES;
import static dev.tether.codec.jackson.CborPrescan.MAJOR_NEGATIVE;
import static dev.tether.codec.jackson.CborPrescan.MAJOR_TEXT;
import static dev.tether.codec.jackson.CborPrescan.MAJOR_UNSIGNED;
import static java.nio.charset.StandardCharsets.ISO_8859_1;

import java.util.Arrays;

/**
 * Reads a record of plain values ({@link PlainRecordReader}) straight from a CBOR payload's bytes,
 * without Jackson's parser, where they are in the strict form an encoder writes. Jackson makes a
 * parser (its I/O context, text buffer, name table, tag and string-reference stacks) and a
 * deserialization context for every payload: about 1 KB and 210 ns for the bench's 64-byte message,
 * twice what the {@code json} codec took for the same record.
 *
 * <p>It takes a subset of what Jackson takes, and builds from it the object Jackson would build:
 * the same creator with the same arguments. Taken:
 *
 * <pre>
 *   map       definite length (0xa0-0xb7, 0xb8 n) or indefinite (0xbf ... 0xff), each component once
 *   name      definite-length text (major 3) whose bytes are the UTF-8 of a component's name
 *   long, int major 0 or 1, its argument in the fewest bytes (RFC 8949 §4.2.1), within the type
 *   boolean   0xf4, 0xf5
 *   double    0xfb and 8 bytes
 *   String    definite-length text of ASCII bytes
 *   byte[]    definite-length bytes (major 2)
 * </pre>
 *
 * Anything else gives the payload up, to Jackson, which reads or refuses it as it always did: a tag
 * (so nothing {@link CborPrescan} refuses is taken), a null or undefined, an unknown, repeated or
 * missing component, an integer in a longer form than it needs or out of the type's range, a float
 * of another width, an indefinite-length string, text beyond ASCII, bytes after the map, or a
 * payload longer than {@link JacksonMappers#MAX_STRING_LENGTH} (so that no string it takes is one
 * the parser would refuse as too long).
 */
final class CborRecordScan {
  private static final int MAP_SHORT = 0xa0; // 0xa0 + pairs, up to 23
  private static final int MAP_ONE_BYTE = 0xb8; // the count in the next byte
  private static final int DOUBLE = 0xfb;

  // initial bytes PlainRecordWriter writes too
  static final int MAP_INDEFINITE = 0xbf; // as Jackson starts an object
  static final int BREAK = 0xff;
  static final int FALSE = 0xf4;
  static final int TRUE = 0xf5;

  private CborRecordScan() {}

  /**
   * Reads the record in {@code length} bytes at {@code offset}; returns it, null where it gives the
   * payload up, and {@link PlainRecordReader#CREATOR_THREW} where the creator threw.
   */
  static Object scan(PlainRecordReader record, byte[] in, int offset, int length) {
    if (length < 1 || length > JacksonMappers.MAX_STRING_LENGTH) {
      return null;
    }
    int end = offset + length;
    int at = offset;
    int head = in[at++] & 0xff;
    int pairs; // -1: up to the break
    if (head == MAP_INDEFINITE) {
      pairs = -1;
    } else if (head >= MAP_SHORT && head < MAP_ONE_BYTE) {
      pairs = head - MAP_SHORT;
    } else if (head == MAP_ONE_BYTE && at < end && (in[at] & 0xff) >= 24) {
      pairs = in[at++] & 0xff;
    } else {
      return null;
    }
    Object[] args = new Object[record.components()];
    long seen = 0;
    int expected = 0;
    for (int pair = 0; pair != pairs; pair++) {
      if (at >= end) {
        return null;
      }
      if (pairs < 0 && (in[at] & 0xff) == BREAK) {
        at++;
        break;
      }
      if ((in[at] & 0xff) >>> 5 != MAJOR_TEXT) {
        return null;
      }
      int name = at + headerLength(in, at);
      long nameLength = argument(in, at, end);
      if (nameLength < 0 || nameLength > end - name) {
        return null;
      }
      int index = record.indexOf(in, name, name + (int) nameLength, expected);
      if (index < 0 || (seen & (1L << index)) != 0) {
        return null; // unknown or repeated: Jackson decides
      }
      seen |= 1L << index;
      expected = index + 1;
      at = name + (int) nameLength;
      if (at >= end) {
        return null;
      }
      at = value(record.kind(index), in, at, end, args, record.position(index));
      if (at < 0) {
        return null;
      }
    }
    if (at != end || !record.all(seen)) {
      return null;
    }
    return record.create(args);
  }

  /**
   * Reads a value of {@code kind} from the item at {@code at} (before {@code end}) into {@code
   * args[position]}; returns the index just after it, or -1 to give up.
   */
  private static int value(
      PlainRecordReader.Kind kind, byte[] in, int at, int end, Object[] args, int position) {
    int initial = in[at] & 0xff;
    int major = initial >>> 5;
    switch (kind) {
      case LONG:
      case INT:
        if (major != MAJOR_UNSIGNED && major != MAJOR_NEGATIVE) {
          return -1;
        }
        long argument = argument(in, at, end);
        if (argument < 0) {
          return -1;
        }
        long value = major == MAJOR_UNSIGNED ? argument : -1 - argument;
        if (kind == PlainRecordReader.Kind.LONG) {
          args[position] = value;
        } else if (value == (int) value) {
          args[position] = (int) value;
        } else {
          return -1;
        }
        return at + headerLength(in, at);
      case BOOLEAN:
        if (initial != TRUE && initial != FALSE) {
          return -1;
        }
        args[position] = initial == TRUE;
        return at + 1;
      case DOUBLE:
        if (initial != DOUBLE || end - at < 9) {
          return -1;
        }
        long bits = 0;
        for (int i = 1; i <= 8; i++) {
          bits = bits << 8 | (in[at + i] & 0xff);
        }
        args[position] = Double.longBitsToDouble(bits);
        return at + 9;
      case STRING:
      case BYTES:
        if (major != (kind == PlainRecordReader.Kind.STRING ? MAJOR_TEXT : MAJOR_BYTES)) {
          return -1;
        }
        int from = at + headerLength(in, at);
        long length = argument(in, at, end);
        if (length < 0 || length > end - from) {
          return -1;
        }
        int to = from + (int) length;
        if (kind == PlainRecordReader.Kind.BYTES) {
          args[position] = Arrays.copyOfRange(in, from, to);
        } else if (ascii(in, from, to)) {
          args[position] = new String(in, from, to - from, ISO_8859_1);
        } else {
          return -1;
        }
        return to;
      default:
        throw new AssertionError(kind);
    }
  }

  /**
   * Returns the argument of the item whose initial byte is at {@code at}: its additional
   * information, or the 1, 2, 4 or 8 bytes after it; -1 where it is not in the fewest bytes that
   * hold it, has no argument (indefinite length, a reserved value), is cut off by {@code end}, or
   * does not fit in a {@code long}.
   */
  private static long argument(byte[] in, int at, int end) {
    int info = in[at] & 0x1f;
    if (info < 24) {
      return info;
    } else if (info > 27) {
      return -1;
    }
    int size = 1 << (info - 24);
    if (end - at - 1 < size) {
      return -1;
    }
    long value = 0;
    for (int i = 1; i <= size; i++) {
      value = value << 8 | (in[at + i] & 0xff);
    }
    long fewest = info == 24 ? 24 : 1L << (8 << (info - 25)); // the least that needs this size
    return value >= fewest ? value : -1; // a value of 2^63 or more is negative here
  }

  /** Returns the bytes of the item's initial byte and argument; {@link #argument} checks them. */
  private static int headerLength(byte[] in, int at) {
    int info = in[at] & 0x1f;
    return info < 24 ? 1 : 1 + (1 << (info - 24));
  }

  private static boolean ascii(byte[] in, int from, int to) {
    for (int i = from; i < to; i++) {
      if (in[i] < 0) {
        return false;
      }
    }
    return true;
  }
}
