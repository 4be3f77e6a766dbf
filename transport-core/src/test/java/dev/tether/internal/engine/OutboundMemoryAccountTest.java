package dev.tether.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.internal.wire.FrameType;
import dev.tether.internal.wire.Frames;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * How an {@link OutboundBuffer} counts its small frames in the runtime's {@link SendMemory}: up to
 * {@link OutboundBuffer#ALLOWANCE} they take none of it, beyond they take it in chunks, and every
 * way the frames leave (written, acknowledged, the session dropped, the buffer discarded) gives it
 * back. While it is all taken, a send that needs more is refused or waits, as for a full queue.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class OutboundMemoryAccountTest {
  private static final int LIMIT = 4 << 20;
  private static final int BODY = 16_000;

  private final SendMemory memory = new SendMemory(1 << 20);
  private final OutboundBuffer buffer =
      new OutboundBuffer(LIMIT, IllegalStateException::new, memory);

  OutboundMemoryAccountTest() {
    buffer.socketOpen(true);
  }

  @Test
  void smallFramesPastTheAllowanceTakeMemoryInChunksAndGiveItBackAsTheyLeave() throws Exception {
    int frames = 0;
    while (buffer.size() + frame(0).length <= OutboundBuffer.ALLOWANCE) {
      assertThat(append(frames++, OutboundBuffer.Mode.NO_WAIT)).isEqualTo(OutboundBuffer.ACCEPTED);
    }
    assertThat(memory.used()).as("within the allowance").isZero();

    while (buffer.size() < 640_000) {
      assertThat(append(frames++, OutboundBuffer.Mode.NO_WAIT)).isEqualTo(OutboundBuffer.ACCEPTED);
      assertPastAllowanceCounted();
    }

    // written, half of it: given back as it leaves, a chunk at a time, not a lock per frame
    long before = memory.used();
    write(buffer.size() / 2);
    assertThat(memory.used()).isLessThan(before);
    assertPastAllowanceCounted();
    write(buffer.size());
    assertThat(memory.used()).as("all written").isZero();

    // kept for replay, the frames still count until acknowledged
    buffer.enableReplay();
    for (int i = 0; i < 30; i++) {
      append(frames++, OutboundBuffer.Mode.NO_WAIT);
    }
    write(buffer.unwritten());
    assertThat(buffer.unacknowledged()).isEqualTo(30);
    assertPastAllowanceCounted();
    assertThat(memory.used()).isPositive();
    buffer.acknowledge(buffer.sentSeq() - 5);
    assertThat(memory.used()).as("five left, within the allowance").isZero();

    // the session dropped, and the buffer discarded, give back what they held
    for (int i = 0; i < 30; i++) {
      append(frames++, OutboundBuffer.Mode.NO_WAIT);
    }
    assertThat(memory.used()).isPositive();
    buffer.dropSession();
    assertThat(memory.used()).isZero();
    for (int i = 0; i < 30; i++) {
      append(frames++, OutboundBuffer.Mode.NO_WAIT);
    }
    buffer.discard();
    assertThat(memory.used()).isZero();

    // and so do sendAsync frames waiting for room in the queue, which count as it does
    OutboundBuffer bounded = new OutboundBuffer(200_000, IllegalStateException::new, memory);
    bounded.socketOpen(true);
    byte[] next = frame(frames);
    while (bounded.append(next, next.length, OutboundBuffer.Mode.NO_WAIT, 0)
        == OutboundBuffer.ACCEPTED) {
      next = frame(++frames);
    }
    long queued = memory.used();
    CompletableFuture<Void> waiting = new CompletableFuture<>();
    assertThat(bounded.appendAsync(next, next.length, waiting, null, 0, false))
        .isEqualTo(OutboundBuffer.ACCEPTED);
    assertThat(waiting).isNotDone();
    assertThat(memory.used()).isGreaterThan(queued);
    bounded.discard();
    assertThat(waiting).isCompletedExceptionally();
    assertThat(memory.used()).isZero();
  }

  @Test
  void whileTheMemoryIsTakenASendPastTheAllowanceIsRefusedAndTheBufferIsNotWritable()
      throws Exception {
    assertThat(memory.tryTake(memory.capacity())).isTrue(); // other connections hold it all
    int frames = 0;
    while (buffer.size() + frame(0).length <= OutboundBuffer.ALLOWANCE) {
      assertThat(append(frames++, OutboundBuffer.Mode.NO_WAIT)).isEqualTo(OutboundBuffer.ACCEPTED);
    }
    assertThat(buffer.isWritable()).as("under the allowance: room left, if little").isTrue();
    assertThat(append(frames, OutboundBuffer.Mode.NO_WAIT)).isEqualTo(OutboundBuffer.NO_MEMORY);
    assertThat(buffer.isWritable())
        .as("refused for want of memory: not writable until that frame would fit")
        .isFalse();
    assertThat(append(frames, OutboundBuffer.Mode.LOOP))
        .as("a loop never waits: refused as past twice its bound")
        .isEqualTo(OutboundBuffer.NO_MEMORY);
    assertThat(append(frames, OutboundBuffer.Mode.WAIT))
        .as("no time to wait")
        .isEqualTo(OutboundBuffer.NO_MEMORY);
    byte[] async = frame(frames);
    assertThat(buffer.appendAsync(async, async.length, new CompletableFuture<>(), null, 0, false))
        .isEqualTo(OutboundBuffer.NO_MEMORY);

    // what the transport owes goes in all the same, counted
    assertThat(append(frames++, OutboundBuffer.Mode.FORCE)).isEqualTo(OutboundBuffer.ACCEPTED);
    assertThat(memory.used()).isEqualTo(memory.capacity() + OutboundBuffer.CHUNK);

    memory.release(memory.capacity()); // the others' peers read
    assertThat(buffer.isWritable()).isTrue();
    assertThat(append(frames, OutboundBuffer.Mode.NO_WAIT)).isEqualTo(OutboundBuffer.ACCEPTED);
  }

  @Test
  void aSenderWaitingForMemoryGoesInWhenAnotherGivesSomeBackOrItsOwnFramesLeaveRoom()
      throws Exception {
    assertThat(memory.tryTake(memory.capacity())).isTrue();
    int frames = 0;
    while (buffer.size() + frame(0).length <= OutboundBuffer.ALLOWANCE) {
      append(frames++, OutboundBuffer.Mode.NO_WAIT);
    }

    // another connection gives memory back: the waiting sender takes it
    AtomicInteger result = new AtomicInteger(-1);
    Thread sender = waitingSender(frames++, result);
    memory.release(memory.capacity() / 2);
    sender.join(10_000);
    assertThat(result.get()).isEqualTo(OutboundBuffer.ACCEPTED);
    assertThat(memory.used()).isEqualTo(memory.capacity() / 2 + OutboundBuffer.CHUNK);

    // the memory all taken again, this buffer's own frames leave: room within its allowance,
    // though nothing is given back to the memory by anyone else
    assertThat(memory.tryTake(memory.capacity())).isTrue();
    while (buffer.size() + frame(0).length <= OutboundBuffer.ALLOWANCE + OutboundBuffer.CHUNK) {
      append(frames++, OutboundBuffer.Mode.NO_WAIT);
    }
    result.set(-1);
    sender = waitingSender(frames, result);
    write(buffer.size());
    sender.join(10_000);
    assertThat(result.get()).isEqualTo(OutboundBuffer.ACCEPTED);
  }

  /** Starts a sender that may wait 20 s, and returns once it waits. */
  private Thread waitingSender(int seed, AtomicInteger result) {
    Thread sender =
        new Thread(
            () -> {
              try {
                result.set(
                    buffer.append(
                        frame(seed),
                        frame(seed).length,
                        OutboundBuffer.Mode.WAIT,
                        TimeUnit.SECONDS.toNanos(20)));
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    sender.start();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> sender.getState() == Thread.State.TIMED_WAITING);
    assertThat(result.get()).isEqualTo(-1);
    return sender;
  }

  /** What the buffer holds past its allowance is counted, rounded up to less than two chunks. */
  private void assertPastAllowanceCounted() {
    long past = Math.max(0, buffer.size() - OutboundBuffer.ALLOWANCE);
    assertThat(memory.used() % OutboundBuffer.CHUNK).isZero();
    assertThat(memory.used()).isBetween(past, past + 2L * OutboundBuffer.CHUNK);
  }

  private int append(int seed, OutboundBuffer.Mode mode) throws InterruptedException {
    byte[] frame = frame(seed);
    return buffer.append(frame, frame.length, mode, 0);
  }

  /** Lets the socket take {@code n} bytes of what is queued. */
  private void write(int n) {
    int left = n;
    while (left > 0) {
      ByteBuffer socket = ByteBuffer.allocate(left);
      int copied = buffer.drainTo(socket);
      if (copied == 0) {
        return;
      }
      buffer.written(copied);
      left -= copied;
    }
  }

  private static byte[] frame(int seed) {
    ByteBuffer frame = Frames.allocate(FrameType.DATA, BODY);
    for (int i = 0; i < BODY; i++) {
      frame.put((byte) (seed * 31 + i));
    }
    return frame.array();
  }
}
