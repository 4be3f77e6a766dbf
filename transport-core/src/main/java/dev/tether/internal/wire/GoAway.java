package dev.tether.internal.wire;

import dev.tether.GoAwayCode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The GOAWAY frame body (PROTOCOL.md §3, §8).
 *
 * <pre>
 * +-------------+-----------------------------------------+
 * | code : u16  | reason : UTF-8, rest of frame, ≤ 1024 B |
 * +-------------+-----------------------------------------+
 * </pre>
 */
public record GoAway(int code, String reason) {
  public static final int MAX_REASON_BYTES = 1024;

  /**
   * The longest reason this side sends: 1021 bytes, so that the whole frame (type byte, u16 code,
   * reason) is at most 1024 bytes and fits the smallest {@code maxFrameSize} a peer may announce. A
   * side never sends a frame longer than the peer's limit, not even its last one.
   */
  public static final int MAX_SENT_REASON_BYTES = Handshake.MIN_MAX_FRAME_SIZE - 1 - 2;

  public GoAwayCode knownCode() {
    return GoAwayCode.of(code);
  }

  /**
   * Encodes a whole frame, header included, with the reason cut to {@link #MAX_SENT_REASON_BYTES}
   * on a UTF-8 character boundary.
   */
  public static byte[] encodeFrame(GoAwayCode code, String reason) {
    byte[] text = WireStrings.truncatedUtf8(reason, MAX_SENT_REASON_BYTES);
    ByteBuffer frame = Frames.allocate(FrameType.GOAWAY, 2 + text.length);
    frame.putShort((short) code.code()).put(text);
    return frame.array();
  }

  /**
   * Decodes a body. A reason longer than {@link #MAX_REASON_BYTES} is accepted, never a protocol
   * error, but only its first 1024 bytes (cut on a UTF-8 character boundary) are kept, followed by
   * how many bytes were left out: the reason is copied into the failure of every request the close
   * ends, and a peer's megabytes times thousands of requests would exhaust the heap.
   */
  public static GoAway decode(ByteBuffer body) throws ProtocolException {
    WireStrings.need(body, 2, "GOAWAY code");
    int code = body.getShort() & 0xFFFF;
    int length = body.remaining();
    if (length <= MAX_REASON_BYTES) {
      return new GoAway(code, WireStrings.lenientUtf8(body));
    }
    int start = body.position();
    int kept = MAX_REASON_BYTES;
    while (kept > 0 && (body.get(start + kept) & 0xC0) == 0x80) {
      kept--; // the byte after the cut continues a character: cut before that character
    }
    byte[] bytes = new byte[kept];
    body.get(bytes);
    body.position(body.limit());
    return new GoAway(
        code,
        new String(bytes, StandardCharsets.UTF_8)
            + " [and "
            + (length - kept)
            + " more bytes, left out: a reason has at most "
            + MAX_REASON_BYTES
            + "]");
  }
}
