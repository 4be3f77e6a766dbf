package dev.tether.codec.jackson;

/**
 * Walks the item headers of a CBOR payload before Jackson parses it, and refuses two constructs
 * that are valid CBOR but cost the receiver far more than their size:
 *
 * <ul>
 *   <li>More than {@link #MAX_TAGS_PER_ITEM} tags on one data item (RFC 8949 §3.4). Jackson's
 *       parser keeps a value's tags in a list that grows by 8 slots at a time, copying it each
 *       time, so n tags on one value cost O(n²): 400,000 one-byte tags took 6.6 s and allocated 40
 *       GB. No encoder needs more than a couple (a self-describe tag and a type tag).
 *   <li>String references (the stringref extension: tag 256 opens a namespace, tag 25 refers to an
 *       earlier string). Jackson resolves a reference to the same {@code byte[]} or {@code String}
 *       instance, so two fields of a decoded message could share one mutable array; no Tether
 *       encoder writes them.
 * </ul>
 *
 * <p>The walk is linear and allocation-free: every header is read once, and a definite-length
 * string's content is skipped. It does not validate the payload; Jackson does that. Where the
 * headers stop making sense (a reserved additional-information value, a length past the end) the
 * walk stops, since Jackson fails at that point anyway and reads nothing after it.
 *
 * <pre>
 *   initial byte:  major type (3 bits) | additional information (5 bits)
 *   ai 0..23       the argument itself
 *   ai 24,25,26,27 the argument in the next 1, 2, 4, 8 bytes
 *   ai 31          indefinite length (strings, arrays, maps) or "break" (major type 7)
 * </pre>
 */
final class CborPrescan {
  /** Tags one data item may carry. RFC 8949 allows any number; real encoders write one or two. */
  static final int MAX_TAGS_PER_ITEM = 4;

  // the major types (initial byte >>> 5) the codec's CBOR readers and writer look at
  static final int MAJOR_UNSIGNED = 0;
  static final int MAJOR_NEGATIVE = 1;
  static final int MAJOR_BYTES = 2;
  static final int MAJOR_TEXT = 3;
  static final int MAJOR_TAG = 6;
  private static final long TAG_STRINGREF = 25;
  private static final long TAG_STRINGREF_NAMESPACE = 256;

  private CborPrescan() {}

  /**
   * Returns why {@code payload[offset, offset + length)} is refused, or null if nothing in its
   * headers is.
   */
  static String refusal(byte[] payload, int offset, int length) {
    int position = offset;
    int end = offset + length;
    int tagsInARow = 0;
    while (position < end) {
      int initial = payload[position++] & 0xFF;
      int major = initial >>> 5;
      int info = initial & 0x1F;
      long argument;
      if (info < 24) {
        argument = info;
      } else if (info <= 27) {
        int size = 1 << (info - 24); // 1, 2, 4 or 8 bytes
        if (end - position < size) {
          return null; // truncated: Jackson reports it
        }
        argument = 0;
        for (int i = 0; i < size; i++) {
          argument = (argument << 8) | (payload[position++] & 0xFF);
        }
      } else if (info == 31) {
        argument = -1; // indefinite length, or break
      } else {
        return null; // reserved (28-30): malformed, Jackson reports it
      }
      if (major == MAJOR_TAG) {
        if (argument == TAG_STRINGREF || argument == TAG_STRINGREF_NAMESPACE) {
          return "the payload uses a CBOR string reference (tag "
              + argument
              + "), which this codec does not accept";
        }
        if (++tagsInARow > MAX_TAGS_PER_ITEM) {
          return "the payload puts more than "
              + MAX_TAGS_PER_ITEM
              + " CBOR tags on one value, at byte "
              + (position - offset)
              + "; this codec accepts at most "
              + MAX_TAGS_PER_ITEM;
        }
        continue;
      }
      tagsInARow = 0;
      if ((major == MAJOR_BYTES || major == MAJOR_TEXT) && info != 31) {
        if (argument < 0 || argument > end - position) {
          return null; // declares more than the payload holds: Jackson reports it
        }
        position += (int) argument;
      }
    }
    return null;
  }
}
