package dev.tether.internal.wire;

import dev.tether.GoAwayCode;
import java.nio.ByteBuffer;

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
   * Decodes a body. A reason longer than 1024 bytes is accepted and kept whole: the frame limit
   * already bounds it, and the words are more useful than a second error.
   */
  public static GoAway decode(ByteBuffer body) throws ProtocolException {
    WireStrings.need(body, 2, "GOAWAY code");
    int code = body.getShort() & 0xFFFF;
    return new GoAway(code, WireStrings.lenientUtf8(body));
  }
}
