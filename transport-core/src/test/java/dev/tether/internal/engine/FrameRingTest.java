package dev.tether.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.internal.wire.FrameDecoder;
import dev.tether.internal.wire.FrameType;
import dev.tether.internal.wire.Frames;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** The ring of whole frames, without a socket: what leaves it, and what it counts. */
class FrameRingTest {
  private static final int LARGE_BODY = FrameDecoder.ADMIT_ABOVE + 1;

  /** A frame of {@code type} with a body of {@code bodyBytes} bytes, each distinct by position. */
  private static byte[] frame(int type, int bodyBytes, int seed) {
    ByteBuffer frame = Frames.allocate(type, bodyBytes);
    for (int i = 0; i < bodyBytes; i++) {
      frame.put((byte) (seed * 31 + i));
    }
    return frame.array();
  }

  private static void add(FrameRing ring, byte[] frame) {
    ring.add(frame, 0, frame.length, -1, 0);
  }

  /** Copies up to {@code max} unwritten bytes out, as the loop does before a write. */
  private static byte[] copyOut(FrameRing ring, int max) {
    int n = Math.min(max, ring.unwritten());
    byte[] out = new byte[n];
    byte[] array = ring.array();
    int start = ring.unwrittenStart();
    for (int i = 0; i < n; i++) {
      out[i] = array[Rings.wrap(array, start + i)];
    }
    return out;
  }

  @Test
  void aFrameLeavesOnlyOnceWhollyWrittenAndOnlyMessageFramesAreCounted() {
    FrameRing ring = new FrameRing();
    byte[] data = frame(FrameType.DATA, 100, 1);
    byte[] ping = frame(FrameType.PING, 8, 2);
    add(ring, data);
    add(ring, ping);
    add(ring, data);
    assertThat(ring.messages()).isEqualTo(2);
    assertThat(ring.size()).isEqualTo(2 * data.length + ping.length);

    assertThat(ring.written(data.length - 1, null)).as("one byte short of the first").isZero();
    assertThat(ring.atFrameBoundary()).isFalse();
    assertThat(ring.size())
        .as("a frame stays until whole")
        .isEqualTo(2 * data.length + ping.length);
    assertThat(ring.unwritten()).isEqualTo(data.length + ping.length + 1);

    assertThat(ring.written(1 + ping.length, null)).as("the first and the PING").isEqualTo(1);
    assertThat(ring.atFrameBoundary()).isTrue();
    assertThat(ring.messages()).isEqualTo(1);
    assertThat(ring.written(data.length, null)).isEqualTo(1);
    assertThat(ring.size()).isZero();
    assertThat(ring.messages()).isZero();
  }

  @Test
  void bytesComeOutInOrderAcrossPartialWritesAndTheArraysEnd() {
    FrameRing ring = new FrameRing();
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    ByteArrayOutputStream socket = new ByteArrayOutputStream();
    int seed = 0;
    for (int round = 0; round < 200; round++) {
      for (int i = 0; i < 3; i++) {
        byte[] f = frame(FrameType.DATA, 37 + 91 * (seed % 7), seed++);
        add(ring, f);
        expected.write(f, 0, f.length);
      }
      byte[] out = copyOut(ring, 123 + round % 400);
      socket.write(out, 0, out.length);
      ring.written(out.length, null);
    }
    while (ring.unwritten() > 0) {
      byte[] out = copyOut(ring, 500);
      socket.write(out, 0, out.length);
      ring.written(out.length, null);
    }
    assertThat(socket.toByteArray()).isEqualTo(expected.toByteArray());
    assertThat(ring.messages()).isZero();
  }

  @Test
  void aNewSocketWritesTheFrameAtTheHeadAgainFromItsStart() {
    FrameRing ring = new FrameRing();
    byte[] data = frame(FrameType.DATA, 50, 3);
    add(ring, data);
    ring.written(20, null);
    ring.restartFrame();
    assertThat(ring.unwritten()).isEqualTo(data.length);
    assertThat(copyOut(ring, 1000)).isEqualTo(data);
  }

  @Test
  void writtenMessageFramesAreKeptForReplayAndPrependedFramesGoFirst() {
    FrameRing ring = new FrameRing();
    ReplayRing kept = new ReplayRing();
    kept.reset(1);
    byte[] first = frame(FrameType.DATA, 10, 4);
    byte[] second = frame(FrameType.DATA, 12, 5);
    add(ring, first);
    add(ring, frame(FrameType.PING, 8, 6));
    add(ring, second);
    assertThat(ring.written(ring.unwritten(), kept)).isEqualTo(2);
    assertThat(kept.frames()).as("the PING is not replayed").isEqualTo(2);

    byte[] later = frame(FrameType.DATA, 7, 7);
    add(ring, later);
    ring.prepend(kept.takeAll(), 2, 0);
    assertThat(ring.messages()).isEqualTo(3);
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    expected.write(first, 0, first.length);
    expected.write(second, 0, second.length);
    expected.write(later, 0, later.length);
    assertThat(copyOut(ring, 1000)).isEqualTo(expected.toByteArray());
  }

  @Test
  void largeFramesAreChargedUntilWrittenAndTheGrownArrayIsLetGoOnceEmpty() {
    FrameRing ring = new FrameRing();
    byte[] large = frame(FrameType.DATA, LARGE_BODY, 8);
    byte[] small = frame(FrameType.DATA, 10, 9);
    add(ring, small);
    add(ring, large);
    assertThat(ring.charged()).isEqualTo(large.length);
    assertThat(ring.largestFrame()).isEqualTo(LARGE_BODY + 1);

    ring.written(small.length, null);
    assertThat(ring.charged()).as("the large frame is still held").isEqualTo(large.length);
    ring.written(large.length, null);
    assertThat(ring.charged()).isZero();
    assertThat(ring.capacity()).as("grown for a large frame, let go once empty").isZero();
  }

  @Test
  void aRunOfFramesCountsTheMessagesAndChargeItsSenderGave() {
    FrameRing ring = new FrameRing();
    byte[] a = frame(FrameType.DATA, 10, 10);
    byte[] b = frame(FrameType.REQUEST, 11, 11);
    byte[] run = new byte[a.length + b.length];
    System.arraycopy(a, 0, run, 0, a.length);
    System.arraycopy(b, 0, run, a.length, b.length);
    assertThat(ring.add(run, 0, run.length, 2, 0)).isEqualTo(2);
    assertThat(ring.messages()).isEqualTo(2);
    ring.clear();
    assertThat(ring.size()).isZero();
    assertThat(ring.messages()).isZero();
    assertThat(ring.capacity()).isZero();
  }
}
