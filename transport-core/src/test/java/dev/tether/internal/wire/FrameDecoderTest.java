package dev.tether.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.GoAwayCode;
import dev.tether.testing.Hex;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrameDecoderTest {
  private static final int LIMIT = 16 * 1024 * 1024;

  private static final String PREAMBLE = "54455448455200 01"; // "TETHER", 0, major version 1

  /** Three frames back to back: DATA, PING, and an ancillary frame with an empty body. */
  private static final String THREE_FRAMES =
      // DATA "hi" with type id 1
      "00000004" // length 4 = type + 3 body bytes
          + "03" // type DATA
          + "01 6869" // varint type id 1, payload "hi"
          // PING
          + "00000009" // length 9
          + "06" // type PING
          + "0102030405060708" // 8 opaque bytes
          // ancillary frame, no body
          + "00000001" // length 1: only the type byte
          + "41"; // type 0x41

  private static final List<Frame> EXPECTED_THREE =
      List.of(new Frame(0x03, "016869"), new Frame(0x06, "0102030405060708"), new Frame(0x41, ""));

  /** A delivered frame: its type and the hex of its body. */
  record Frame(int type, String body) {}

  /** Records what the decoder delivers; pauses after the frames listed in {@code pauseAfter}. */
  static class Recorder implements FrameDecoder.Listener {
    final List<byte[]> preambles = new ArrayList<>();
    final List<Frame> frames = new ArrayList<>();
    int pauseAfterEach = Integer.MAX_VALUE;

    @Override
    public void onPreamble(byte[] preamble) {
      preambles.add(preamble.clone());
    }

    @Override
    public boolean onFrame(int type, ByteBuffer body) {
      byte[] bytes = new byte[body.remaining()];
      body.get(bytes);
      frames.add(new Frame(type, Hex.encode(bytes)));
      return frames.size() % pauseAfterEach != 0;
    }
  }

  /** Feeds {@code bytes} in chunks of the given sizes, the last chunk taking the rest. */
  private static void feed(FrameDecoder decoder, Recorder recorder, byte[] bytes, int... cuts)
      throws ProtocolException {
    int start = 0;
    for (int cut : cuts) {
      decoder.decode(ByteBuffer.wrap(Arrays.copyOfRange(bytes, start, cut)), recorder);
      start = cut;
    }
    decoder.decode(ByteBuffer.wrap(Arrays.copyOfRange(bytes, start, bytes.length)), recorder);
  }

  @Test
  void deliversSeveralFramesFromOneBufferInOrder() throws Exception {
    FrameDecoder decoder = new FrameDecoder(LIMIT, false);
    Recorder recorder = new Recorder();
    ByteBuffer input = Hex.buffer(THREE_FRAMES);

    decoder.decode(input, recorder);

    assertThat(recorder.frames).containsExactlyElementsOf(EXPECTED_THREE);
    assertThat(input.hasRemaining()).isFalse();
    assertThat(decoder.pendingBytes()).isZero();
  }

  @Test
  void deliversTheSameFramesWhateverByteBoundaryTheInputIsSplitAt() throws Exception {
    byte[] stream = Hex.decode(PREAMBLE + THREE_FRAMES);
    for (int cut = 0; cut <= stream.length; cut++) {
      FrameDecoder decoder = new FrameDecoder(LIMIT, true);
      Recorder recorder = new Recorder();

      feed(decoder, recorder, stream, cut);

      assertThat(recorder.preambles).as("split at %d", cut).hasSize(1);
      assertThat(recorder.preambles.get(0)).isEqualTo(Preamble.bytes());
      assertThat(recorder.frames).as("split at %d", cut).containsExactlyElementsOf(EXPECTED_THREE);
      assertThat(decoder.pendingBytes()).as("split at %d", cut).isZero();
    }
  }

  @Test
  void deliversTheSameFramesWhenSplitAtEveryPairOfBoundaries() throws Exception {
    byte[] stream = Hex.decode(THREE_FRAMES);
    for (int first = 0; first <= stream.length; first++) {
      for (int second = first; second <= stream.length; second++) {
        FrameDecoder decoder = new FrameDecoder(LIMIT, false);
        Recorder recorder = new Recorder();

        feed(decoder, recorder, stream, first, second);

        assertThat(recorder.frames)
            .as("split at %d and %d", first, second)
            .containsExactlyElementsOf(EXPECTED_THREE);
      }
    }
  }

  @Test
  void deliversFramesFedOneByteAtATime() throws Exception {
    byte[] stream = Hex.decode(PREAMBLE + THREE_FRAMES);
    FrameDecoder decoder = new FrameDecoder(LIMIT, true);
    Recorder recorder = new Recorder();

    for (byte b : stream) {
      decoder.decode(ByteBuffer.wrap(new byte[] {b}), recorder);
      assertThat(decoder.pendingBytes()).isLessThanOrEqualTo(13); // never more than one frame
    }

    assertThat(recorder.preambles).hasSize(1);
    assertThat(recorder.frames).containsExactlyElementsOf(EXPECTED_THREE);
  }

  @Test
  void deliversAFrameLargerThanOneReadAcrossManyInputs() throws Exception {
    byte[] body = new byte[100_000];
    for (int i = 0; i < body.length; i++) {
      body[i] = (byte) i;
    }
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    stream.writeBytes(ByteBuffer.allocate(5).putInt(body.length + 1).put((byte) 0x03).array());
    stream.writeBytes(body);
    byte[] bytes = stream.toByteArray();
    FrameDecoder decoder = new FrameDecoder(LIMIT, false);
    Recorder recorder = new Recorder();

    feed(decoder, recorder, bytes, 3, 4096, 65_536, 70_000);

    assertThat(recorder.frames).containsExactly(new Frame(0x03, Hex.encode(body)));
    assertThat(decoder.pendingBytes()).isZero();
  }

  @Test
  void handsTheBodyToTheListenerAsExactlyTheBytesAfterTheTypeByte() throws Exception {
    FrameDecoder decoder = new FrameDecoder(LIMIT, false);
    List<Integer> seen = new ArrayList<>();

    decoder.decode(
        Hex.buffer(
            "00000004" // length 4
                + "03" // type DATA
                + "016869" // body, 3 bytes
                + "00000001" // next frame: length 1
                + "07"), // type PONG (body left empty on purpose)
        new FrameDecoder.Listener() {
          @Override
          public void onPreamble(byte[] preamble) {}

          @Override
          public boolean onFrame(int type, ByteBuffer body) {
            seen.add(body.remaining());
            body.position(body.limit()); // a listener may consume the body; the decoder goes on
            return true;
          }
        });

    assertThat(seen).containsExactly(3, 0);
  }

  @Test
  void rejectsLengthZeroWithProtocolError() {
    FrameDecoder decoder = new FrameDecoder(LIMIT, false);

    assertThatThrownBy(
            () ->
                decoder.decode(
                    Hex.buffer("00000000" + "03"), // length 0, then what would be a type byte
                    new Recorder()))
        .isInstanceOfSatisfying(
            ProtocolException.class, e -> assertThat(e.code()).isEqualTo(GoAwayCode.PROTOCOL_ERROR))
        .hasMessage("frame length 0: a frame holds at least its type byte");
  }

  @Test
  void rejectsLength2pow31Minus1FromTheHeaderAloneBeforeAllocating() {
    FrameDecoder decoder = new FrameDecoder(LIMIT, false);

    // Only the 4-byte length: no body follows, so the decoder must judge the header alone.
    assertThatThrownBy(() -> decoder.decode(Hex.buffer("7fffffff"), new Recorder()))
        .isInstanceOfSatisfying(
            ProtocolException.class,
            e -> assertThat(e.code()).isEqualTo(GoAwayCode.FRAME_TOO_LARGE))
        .hasMessage("frame length 2147483647 exceeds the limit of 16777216 bytes");
    assertThat(decoder.pendingBytes()).isZero();
  }

  @Test
  void rejectsLength0xFFFFFFFFAsUnsignedNotNegative() {
    FrameDecoder decoder = new FrameDecoder(LIMIT, false);

    assertThatThrownBy(() -> decoder.decode(Hex.buffer("ffffffff" + "03"), new Recorder()))
        .isInstanceOfSatisfying(
            ProtocolException.class,
            e -> assertThat(e.code()).isEqualTo(GoAwayCode.FRAME_TOO_LARGE))
        .hasMessage("frame length 4294967295 exceeds the limit of 16777216 bytes");
    assertThat(decoder.pendingBytes()).isZero();
  }

  @Test
  void rejectsAHugeLengthArrivingOneByteAtATimeHoldingOnlyTheHeader() throws Exception {
    FrameDecoder decoder = new FrameDecoder(LIMIT, false);
    Recorder recorder = new Recorder();
    byte[] header = Hex.decode("7fffffff"); // length 2^31-1

    for (int i = 0; i < 3; i++) {
      decoder.decode(ByteBuffer.wrap(new byte[] {header[i]}), recorder);
    }
    assertThat(decoder.pendingBytes()).isEqualTo(3);

    assertThatThrownBy(() -> decoder.decode(ByteBuffer.wrap(new byte[] {header[3]}), recorder))
        .isInstanceOfSatisfying(
            ProtocolException.class,
            e -> assertThat(e.code()).isEqualTo(GoAwayCode.FRAME_TOO_LARGE));
    assertThat(decoder.pendingBytes()).isLessThanOrEqualTo(4);
    assertThat(recorder.frames).isEmpty();
  }

  @Test
  void acceptsALengthEqualToTheLimitAndRejectsOneMore() throws Exception {
    FrameDecoder decoder = new FrameDecoder(1024, false);
    byte[] atLimit = ByteBuffer.allocate(4 + 1024).putInt(1024).put((byte) 0x41).array();
    Recorder recorder = new Recorder();

    decoder.decode(ByteBuffer.wrap(atLimit), recorder);

    assertThat(recorder.frames).hasSize(1);
    assertThatThrownBy(() -> decoder.decode(Hex.buffer("00000401" + "41"), recorder)) // 1025
        .isInstanceOf(ProtocolException.class)
        .hasMessage("frame length 1025 exceeds the limit of 1024 bytes");
  }

  @Test
  void appliesTheHandshakeLimitOf64KiBUntilRaised() throws Exception {
    FrameDecoder decoder = new FrameDecoder(FrameDecoder.HANDSHAKE_MAX_FRAME_LENGTH, false);

    assertThatThrownBy(() -> decoder.decode(Hex.buffer("00010001"), new Recorder())) // 65537
        .isInstanceOf(ProtocolException.class)
        .hasMessage("frame length 65537 exceeds the limit of 65536 bytes");

    FrameDecoder raised = new FrameDecoder(FrameDecoder.HANDSHAKE_MAX_FRAME_LENGTH, false);
    raised.maxFrameLength(LIMIT);
    raised.decode(Hex.buffer("00010001"), new Recorder()); // now only the start of a frame
    assertThat(raised.pendingBytes()).isEqualTo(4);
  }

  @Test
  void rejectsANonPositiveLimit() {
    assertThatThrownBy(() -> new FrameDecoder(0, false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxFrameLength must be 1..2147483631, was 0");
  }

  @Test
  void keepsTheFramesAfterAPauseAndDeliversThemInOrderOnResume() throws Exception {
    FrameDecoder decoder = new FrameDecoder(LIMIT, false);
    Recorder recorder = new Recorder();
    recorder.pauseAfterEach = 1; // pause after every frame

    decoder.decode(Hex.buffer(THREE_FRAMES), recorder);

    assertThat(decoder.isPaused()).isTrue();
    assertThat(recorder.frames).containsExactly(EXPECTED_THREE.get(0));
    assertThat(decoder.pendingBytes()).isEqualTo(13 + 5); // the PING and the empty frame

    decoder.resume(recorder);
    assertThat(decoder.isPaused()).isTrue();
    assertThat(recorder.frames).containsExactlyElementsOf(EXPECTED_THREE.subList(0, 2));

    decoder.resume(recorder);
    assertThat(recorder.frames).containsExactlyElementsOf(EXPECTED_THREE);
    assertThat(decoder.pendingBytes()).isZero();

    recorder.pauseAfterEach = Integer.MAX_VALUE;
    decoder.resume(recorder); // the third frame asked for a pause too; nothing is left
    assertThat(decoder.isPaused()).isFalse();
    assertThat(recorder.frames).hasSize(3);
  }

  @Test
  void keepsAPartialFrameAcrossAPauseAndCompletesItWithLaterInput() throws Exception {
    byte[] stream = Hex.decode(THREE_FRAMES);
    int cut = stream.length - 3; // 2 bytes into the last frame's length field
    FrameDecoder decoder = new FrameDecoder(LIMIT, false);
    Recorder recorder = new Recorder();
    recorder.pauseAfterEach = 1;

    decoder.decode(ByteBuffer.wrap(Arrays.copyOf(stream, cut)), recorder);
    assertThat(recorder.frames).containsExactly(EXPECTED_THREE.get(0));

    recorder.pauseAfterEach = Integer.MAX_VALUE;
    decoder.resume(recorder);
    assertThat(decoder.isPaused()).isFalse();
    assertThat(recorder.frames).containsExactlyElementsOf(EXPECTED_THREE.subList(0, 2));
    assertThat(decoder.pendingBytes()).isEqualTo(2);

    decoder.decode(ByteBuffer.wrap(Arrays.copyOfRange(stream, cut, stream.length)), recorder);
    assertThat(recorder.frames).containsExactlyElementsOf(EXPECTED_THREE);
    assertThat(decoder.pendingBytes()).isZero();
  }

  @Test
  void refusesInputWhilePaused() throws Exception {
    FrameDecoder decoder = new FrameDecoder(LIMIT, false);
    Recorder recorder = new Recorder();
    recorder.pauseAfterEach = 1;
    decoder.decode(Hex.buffer(THREE_FRAMES), recorder);

    assertThatThrownBy(() -> decoder.decode(Hex.buffer("00000001 41"), recorder))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("decoder is paused; call resume first");
  }

  @Test
  void deliversAPreambleSplitAcrossInputsOnceAndThenFrames() throws Exception {
    FrameDecoder decoder = new FrameDecoder(LIMIT, true);
    Recorder recorder = new Recorder();

    decoder.decode(Hex.buffer("544554"), recorder); // "TET"
    assertThat(recorder.preambles).isEmpty();
    decoder.decode(Hex.buffer("4845"), recorder); // "HE"
    assertThat(recorder.preambles).isEmpty();
    decoder.decode(Hex.buffer("52 00 01" + THREE_FRAMES), recorder); // "R", 0, 1, then frames

    assertThat(recorder.preambles).containsExactly(Preamble.bytes());
    assertThat(recorder.frames).containsExactlyElementsOf(EXPECTED_THREE);
  }

  @Test
  void handsAnyEightFirstBytesToTheListenerToJudge() throws Exception {
    FrameDecoder decoder = new FrameDecoder(LIMIT, true);
    Recorder recorder = new Recorder();

    decoder.decode(Hex.buffer("474554202f204854"), recorder); // "GET / HT"

    assertThat(recorder.preambles).hasSize(1);
    assertThat(Preamble.ascii(recorder.preambles.get(0))).isEqualTo("GET / HT");
    assertThat(recorder.frames).isEmpty();
  }

  @Test
  void stopsAtAPreambleTheListenerRejects() {
    FrameDecoder decoder = new FrameDecoder(LIMIT, true);
    Recorder rejecting =
        new Recorder() {
          @Override
          public void onPreamble(byte[] preamble) {
            throw new IllegalStateException("rejected " + Preamble.ascii(preamble));
          }
        };

    assertThatThrownBy(
            () -> decoder.decode(Hex.buffer("474554202f204854" + THREE_FRAMES), rejecting))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("rejected GET / HT");
    assertThat(rejecting.frames).isEmpty();
  }

  @Test
  void aFewBytesOfAnAnnouncedLargeFrameHoldOnlyWhatArrived() throws Exception {
    FrameDecoder decoder = new FrameDecoder(LIMIT, false);
    Recorder recorder = new Recorder();

    // a header announcing 16 MiB, then two bytes of body: the old decoder allocated 16 MiB here
    decoder.decode(Hex.buffer("01000000" + "03" + "01 02"), recorder);

    assertThat(decoder.heldCapacity()).isLessThanOrEqualTo(4096);
    assertThat(recorder.frames).isEmpty();
  }

  @Test
  void aLargeFrameArrivingInSmallPiecesIsGatheredWithMemoryFollowingTheBytes() throws Exception {
    FrameDecoder decoder = new FrameDecoder(LIMIT, false);
    Recorder recorder = new Recorder();
    int body = 1024 * 1024;
    ByteBuffer frame = ByteBuffer.allocate(5 + body).putInt(1 + body).put((byte) 0x03);
    for (int i = 0; i < body; i++) {
      frame.put((byte) i);
    }
    byte[] bytes = frame.array();

    int maxHeld = 0;
    for (int at = 0; at < bytes.length; at += 1000) {
      int end = Math.min(bytes.length, at + 1000);
      decoder.decode(ByteBuffer.wrap(Arrays.copyOfRange(bytes, at, end)), recorder);
      if (end < bytes.length) {
        int arrived = end;
        assertThat(decoder.heldCapacity()).isLessThanOrEqualTo(Math.max(2048, 2 * arrived));
        maxHeld = Math.max(maxHeld, decoder.heldCapacity());
      }
    }

    assertThat(recorder.frames).hasSize(1);
    assertThat(recorder.frames.get(0).body()).hasSize(2 * body);
    assertThat(maxHeld).isLessThanOrEqualTo(5 + body);
  }

  @Test
  void asksToAdmitEachFrameOverSixtyFourKiBOnceBeforeGatheringItAndPausesIfRefused()
      throws Exception {
    List<Integer> asked = new ArrayList<>();
    boolean[] admit = {false};
    Recorder recorder =
        new Recorder() {
          @Override
          public boolean admit(int length) {
            asked.add(length);
            return admit[0];
          }
        };
    FrameDecoder decoder = new FrameDecoder(LIMIT, false);
    int length = FrameDecoder.ADMIT_ABOVE + 1;
    byte[] large = ByteBuffer.allocate(4 + length).putInt(length).put((byte) 0x41).array();
    byte[] small = Hex.decode("00000001 42");
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    stream.write(small);
    stream.write(large);
    stream.write(small);
    byte[] bytes = stream.toByteArray();

    decoder.decode(ByteBuffer.wrap(bytes, 0, 5 + 1000), recorder);

    // refused at the header: paused with nothing of the body gathered beyond what one input held
    assertThat(asked).containsExactly(length);
    assertThat(decoder.isPaused()).isTrue();
    assertThat(recorder.frames).containsExactly(new Frame(0x42, ""));
    assertThat(decoder.pendingBytes()).isEqualTo(1000);

    decoder.resume(recorder); // still refused: asked again, still paused
    assertThat(asked).containsExactly(length, length);
    assertThat(decoder.isPaused()).isTrue();

    admit[0] = true;
    decoder.resume(recorder);
    feed(decoder, recorder, Arrays.copyOfRange(bytes, 5 + 1000, bytes.length), 7, 30_000);

    // admitted once, then gathered across three inputs without being asked again
    assertThat(asked).containsExactly(length, length, length);
    assertThat(recorder.frames).hasSize(3);
    assertThat(recorder.frames.get(1).type()).isEqualTo(0x41);
    assertThat(recorder.frames.get(2)).isEqualTo(new Frame(0x42, ""));
  }

  @Test
  void neverAsksToAdmitAFrameOfSixtyFourKiBOrLess() throws Exception {
    Recorder recorder =
        new Recorder() {
          @Override
          public boolean admit(int length) {
            throw new AssertionError("asked to admit " + length);
          }
        };
    FrameDecoder decoder = new FrameDecoder(LIMIT, false);
    int length = FrameDecoder.ADMIT_ABOVE;
    byte[] frame = ByteBuffer.allocate(4 + length).putInt(length).put((byte) 0x41).array();

    feed(decoder, recorder, frame, 3, 1000);

    assertThat(recorder.frames).hasSize(1);
  }

  @Test
  void aLimitNearTwoGiBDoesNotOverflowAndALargerOneIsRefused() throws Exception {
    FrameDecoder decoder = new FrameDecoder(FrameDecoder.MAX_FRAME_LENGTH, false);
    Recorder recorder = new Recorder();

    decoder.decode(Hex.buffer("7fffffef" + "03" + "0102030405"), recorder); // the largest length

    assertThat(recorder.frames).isEmpty();
    assertThat(decoder.heldCapacity()).isLessThanOrEqualTo(4096);
    assertThatThrownBy(() -> new FrameDecoder(Integer.MAX_VALUE, false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("2147483631");
    FrameDecoder strict = new FrameDecoder(FrameDecoder.MAX_FRAME_LENGTH, false);
    assertThatThrownBy(() -> strict.decode(Hex.buffer("7ffffff0 03"), recorder))
        .isInstanceOf(ProtocolException.class)
        .hasMessage("frame length 2147483632 exceeds the limit of 2147483631 bytes");
  }
}
