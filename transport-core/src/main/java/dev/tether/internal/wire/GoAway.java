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

  public GoAwayCode knownCode() {
    return GoAwayCode.of(code);
  }

  /** Encodes a whole frame, header included, with the reason cut to 1024 bytes. */
  public static byte[] encodeFrame(GoAwayCode code, String reason) {
    byte[] text = WireStrings.truncatedUtf8(reason, MAX_REASON_BYTES);
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
