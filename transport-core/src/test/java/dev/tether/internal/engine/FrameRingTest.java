package dev.tether.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.internal.wire.FrameDecoder;
import dev.tether.internal.wire.FrameType;
import dev.tether.internal.wire.Frames;
import dev.tether.testing.RawPeer;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Random;
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

  /**
   * Random appends (single frames and runs, small and large, messages and control frames), partial
   * writes of every length, frames kept for replay, a new socket's restart and replayed frames put
   * first, against a plain list of frames: what {@link FrameRing#written} counts and drops, from a
   * checkpoint or from the head, is what writing frame by frame gives.
   */
  @Test
  void everyCountAndByteMatchesAListOfFramesWrittenOneByOne() {
    int[] types = {
      FrameType.DATA, FrameType.REQUEST, FrameType.RESPONSE, FrameType.PING, FrameType.PONG
    };
    for (int seed = 0; seed < 8; seed++) {
      Random random = new Random(seed);
      FrameRing ring = new FrameRing();
      Deque<byte[]> model = new ArrayDeque<>();
      int modelHeadWritten = 0;
      ReplayRing kept = new ReplayRing();
      kept.reset(1);
      int frameSeed = 0;
      for (int step = 0; step < 20_000; step++) {
        int op = random.nextInt(100);
        if (op < 45) {
          int count = random.nextInt(4) == 0 ? 1 + random.nextInt(120) : 1;
          List<byte[]> frames = new ArrayList<>();
          int messages = 0;
          long charge = 0;
          for (int i = 0; i < count; i++) {
            int type = types[random.nextInt(types.length)];
            int body =
                random.nextInt(500) == 0 ? LARGE_BODY + random.nextInt(100) : random.nextInt(90);
            byte[] f = frame(type, body, frameSeed++);
            frames.add(f);
            messages += FrameRing.isMessage(type) ? 1 : 0;
            charge += SendMemory.charge(f.length);
          }
          byte[] run = RawPeer.concat(frames.toArray(new byte[0][]));
          if (count == 1 && random.nextBoolean()) {
            assertThat(ring.add(run, 0, run.length, -1, 0)).isEqualTo(messages);
          } else {
            assertThat(ring.add(run, 0, run.length, messages, charge)).isEqualTo(messages);
          }
          model.addAll(frames);
        } else if (op < 90) {
          int unwritten = ring.unwritten();
          int n = random.nextInt(3) == 0 ? unwritten : random.nextInt(unwritten + 1);
          byte[] out = copyOut(ring, n);
          assertThat(out).isEqualTo(modelBytes(model, modelHeadWritten, n));
          boolean keep = random.nextInt(5) == 0;
          int keptBefore = kept.frames();
          int expectedDone = 0;
          int written = modelHeadWritten + n;
          while (!model.isEmpty() && written >= model.peekFirst().length) {
            byte[] f = model.pollFirst();
            written -= f.length;
            expectedDone += FrameRing.isMessage(f[Frames.HEADER_BYTES - 1]) ? 1 : 0;
          }
          modelHeadWritten = written;
          assertThat(ring.written(n, keep ? kept : null)).isEqualTo(expectedDone);
          assertThat(kept.frames() - keptBefore).isEqualTo(keep ? expectedDone : 0);
        } else if (op < 93) {
          ring.restartFrame();
          modelHeadWritten = 0;
          if (random.nextBoolean() && kept.frames() > 0) {
            int count = kept.frames();
            long charge = kept.charged();
            byte[] replayed = kept.takeAll();
            kept.reset(1);
            ring.prepend(replayed, count, charge);
            List<byte[]> first = new ArrayList<>();
            for (int at = 0; at < replayed.length; ) {
              int length = Frames.HEADER_BYTES - 1 + ByteBuffer.wrap(replayed, at, 4).getInt();
              byte[] f = new byte[length];
              System.arraycopy(replayed, at, f, 0, length);
              first.add(f);
              at += length;
            }
            for (int i = first.size() - 1; i >= 0; i--) {
              model.addFirst(first.get(i));
            }
          }
        } else if (op < 95) {
          ring.releaseIfEmpty();
        } else if (op < 96) {
          ring.clear();
          model.clear();
          modelHeadWritten = 0;
        }
        assertThat(ring.size()).isEqualTo(modelSize(model));
        assertThat(ring.unwritten()).isEqualTo(modelSize(model) - modelHeadWritten);
        assertThat(ring.atFrameBoundary()).isEqualTo(modelHeadWritten == 0);
        assertThat(ring.messages())
            .isEqualTo(
                (int)
                    model.stream()
                        .filter(f -> FrameRing.isMessage(f[Frames.HEADER_BYTES - 1]))
                        .count());
        assertThat(ring.charged())
            .isEqualTo(model.stream().mapToLong(f -> SendMemory.charge(f.length)).sum());
      }
    }
  }

  private static int modelSize(Deque<byte[]> model) {
    return model.stream().mapToInt(f -> f.length).sum();
  }

  /** The next {@code n} bytes to write, from {@code headWritten} into the first frame. */
  private static byte[] modelBytes(Deque<byte[]> model, int headWritten, int n) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int skip = headWritten;
    for (byte[] f : model) {
      if (out.size() >= n) {
        break;
      }
      int from = Math.min(skip, f.length);
      skip -= from;
      out.write(f, from, Math.min(f.length - from, n - out.size()));
    }
    return out.toByteArray();
  }
}
