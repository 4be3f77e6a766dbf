package dev.tether.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.GoAwayCode;
import dev.tether.testing.Hex;
import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class GoAwayTest {
  private static ByteBuffer body(byte[] frame) {
    return ByteBuffer.wrap(frame, Frames.HEADER_BYTES, frame.length - Frames.HEADER_BYTES);
  }

  @Test
  void encodesCodeAndReason() {
    assertThat(Hex.encode(GoAway.encodeFrame(GoAwayCode.IDLE_TIMEOUT, "bye")))
        .isEqualTo(
            Hex.encode(
                Hex.decode(
                    "00000006" // length 6 = type + code + 3 reason bytes
                        + "08" // type GOAWAY
                        + "0007" // code 7, IDLE_TIMEOUT
                        + "627965"))); // reason "bye"
  }

  @Test
  void encodesAnEmptyReason() {
    assertThat(Hex.encode(GoAway.encodeFrame(GoAwayCode.NORMAL, "")))
        .isEqualTo(
            Hex.encode(
                Hex.decode(
                    "00000003" // length 3 = type + code
                        + "08" // type GOAWAY
                        + "0000"))); // code 0, NORMAL; no reason
  }

  @Test
  void decodesCodeAndReason() throws ProtocolException {
    GoAway goAway =
        GoAway.decode(
            Hex.buffer(
                "000d" // code 13, CODEC_ERROR
                    + "74797065203920e28093206e6f")); // "type 9 – no" (with an en dash)

    assertThat(goAway.code()).isEqualTo(13);
    assertThat(goAway.knownCode()).isEqualTo(GoAwayCode.CODEC_ERROR);
    assertThat(goAway.reason()).isEqualTo("type 9 – no");
  }

  @Test
  void keepsAnUnknownCodeAsItsNumber() throws ProtocolException {
    GoAway goAway = GoAway.decode(Hex.buffer("0063")); // code 99, no reason

    assertThat(goAway.code()).isEqualTo(99);
    assertThat(goAway.knownCode()).isEqualTo(GoAwayCode.UNKNOWN);
    assertThat(goAway.reason()).isEmpty();
  }

  @Test
  void rejectsABodyTooShortForTheCode() {
    assertThatThrownBy(() -> GoAway.decode(Hex.buffer("00"))) // one byte of a u16
        .isInstanceOfSatisfying(
            ProtocolException.class, e -> assertThat(e.code()).isEqualTo(GoAwayCode.PROTOCOL_ERROR))
        .hasMessage("truncated frame: GOAWAY code needs 2 bytes, 1 remain");
  }

  @Test
  void cutsA2000ByteReasonAtACharacterBoundarySoTheFrameFitsTheSmallestPeerLimit()
      throws Exception {
    String reason = "ab" + "€".repeat(666); // 2 + 666 × 3 = 2000 bytes of UTF-8
    assertThat(reason.getBytes(StandardCharsets.UTF_8)).hasSize(2000);

    byte[] frame = GoAway.encodeFrame(GoAwayCode.PROTOCOL_ERROR, reason);

    // Sent reasons are cut to 1021 bytes, so that type + code + reason fit a peer's minimum
    // maxFrameSize of 1024. Byte 1021 falls inside the 340th "€" (bytes 1019..1021), so the cut
    // comes before it: 2 + 339 × 3 = 1019 bytes.
    assertThat(ByteBuffer.wrap(frame).getInt()).isEqualTo(1 + 2 + 1019);
    byte[] text = java.util.Arrays.copyOfRange(frame, Frames.HEADER_BYTES + 2, frame.length);
    String strict =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(text))
            .toString();
    assertThat(strict).isEqualTo("ab" + "€".repeat(339));
    assertThat(GoAway.decode(body(frame)).reason()).isEqualTo(strict);
  }

  @Test
  void cutsAnAsciiReasonSoTheFrameLengthIsExactly1024() throws ProtocolException {
    byte[] frame = GoAway.encodeFrame(GoAwayCode.NORMAL, "x".repeat(2000));

    assertThat(ByteBuffer.wrap(frame).getInt()).isEqualTo(Handshake.MIN_MAX_FRAME_SIZE);
    assertThat(GoAway.decode(body(frame)).reason()).isEqualTo("x".repeat(1021));
  }

  @Test
  void keepsAReasonThatFitsWhole() throws ProtocolException {
    byte[] frame = GoAway.encodeFrame(GoAwayCode.NORMAL, "x".repeat(1021));

    assertThat(GoAway.decode(body(frame)).reason()).isEqualTo("x".repeat(1021));
  }

  @Test
  void cutsBeforeAFourByteCharacterThatWouldCrossTheLimit() throws ProtocolException {
    String reason = "x".repeat(1019) + "𝄞"; // 1019 + 4 bytes: the clef does not fit in 1021

    byte[] frame = GoAway.encodeFrame(GoAwayCode.NORMAL, reason);

    assertThat(GoAway.decode(body(frame)).reason()).isEqualTo("x".repeat(1019));
  }

  @Test
  void acceptsAReceivedReasonLongerThan1024BytesKeepingItsFirst1024() throws ProtocolException {
    ByteBuffer body = ByteBuffer.allocate(2 + 2000);
    body.putShort((short) 1).put("y".repeat(2000).getBytes(StandardCharsets.US_ASCII)).flip();

    GoAway goAway = GoAway.decode(body);

    assertThat(goAway.code()).isEqualTo(1);
    assertThat(goAway.reason())
        .isEqualTo("y".repeat(1024) + " [and 976 more bytes, left out: a reason has at most 1024]");
    assertThat(body.hasRemaining()).isFalse();
  }

  @Test
  void keepsAReceivedReasonOfExactly1024BytesWhole() throws ProtocolException {
    ByteBuffer body = ByteBuffer.allocate(2 + 1024);
    body.putShort((short) 1).put("y".repeat(1024).getBytes(StandardCharsets.US_ASCII)).flip();

    assertThat(GoAway.decode(body).reason()).isEqualTo("y".repeat(1024));
  }

  @Test
  void cutsALongReceivedReasonBeforeACharacterThatCrossesTheLimit() throws ProtocolException {
    byte[] text = ("x".repeat(1022) + "€" + "z".repeat(10)).getBytes(StandardCharsets.UTF_8);
    ByteBuffer body = ByteBuffer.allocate(2 + text.length);
    body.putShort((short) 1).put(text).flip();

    // the euro sign takes bytes 1022..1024: keeping 1024 bytes would split it
    assertThat(GoAway.decode(body).reason())
        .isEqualTo("x".repeat(1022) + " [and 13 more bytes, left out: a reason has at most 1024]");
  }
}
