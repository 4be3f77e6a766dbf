package dev.tether.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.internal.wire.FrameType;
import dev.tether.internal.wire.Frames;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The outbound ring as the loop uses it: frames of every length appended while earlier ones are
 * written a few bytes at a time, so that the ring's head and tail wrap around its end again and
 * again, with frame headers split across the end. What comes out must be the frames, whole and in
 * order, and the counts of queued and written messages must add up; a resumed session must write
 * the unacknowledged frames again, byte for byte, from the replay ring.
 */
class OutboundBufferTest {
  private static final int LIMIT = 64 << 20;

  private final Random random = new Random(42);
  private final SendMemory memory = new SendMemory(Long.MAX_VALUE);
  private final OutboundBuffer buffer =
      new OutboundBuffer(LIMIT, IllegalStateException::new, memory);

  OutboundBufferTest() {
    buffer.socketOpen(true);
  }

  @Test
  void framesComeOutWholeAndInOrderWhileTheRingWrapsAroundItsEnd() throws Exception {
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    ByteArrayOutputStream written = new ByteArrayOutputStream();
    long messages = 0;
    for (int round = 0; round < 2_000; round++) {
      // a few frames in, then some bytes out: about as much leaves as comes in, so the ring,
      // 16 KiB at first, stays small and its contents move around its end
      for (int i = random.nextInt(4); i >= 0; i--) {
        byte[] frame = frame(FrameType.DATA, random.nextInt(3_000), round);
        append(frame);
        expected.write(frame);
        messages++;
      }
      writeSome(written, 1 + random.nextInt(12_000));
      assertThat(buffer.sentSeq() + buffer.queuedMessages()).isEqualTo(messages);
    }
    while (buffer.unwritten() > 0) {
      writeSome(written, 1 + random.nextInt(6_000));
    }

    assertThat(written.toByteArray()).isEqualTo(expected.toByteArray());
    assertThat(buffer.sentSeq()).isEqualTo(messages);
    assertThat(buffer.queuedMessages()).isZero();
  }

  @ParameterizedTest(name = "trimmed while detached: {0}")
  @ValueSource(booleans = {false, true})
  void aResumedSessionWritesTheUnacknowledgedFramesAgainByteForByte(boolean trimmed)
      throws Exception {
    buffer.enableReplay();
    ByteArrayOutputStream written = new ByteArrayOutputStream();
    List<byte[]> frames = new ArrayList<>();
    long acknowledged = 0;
    for (int round = 0; round < 1_500; round++) {
      byte[] frame = frame(FrameType.DATA, random.nextInt(2_000), round);
      append(frame);
      frames.add(frame);
      writeSome(written, 1 + random.nextInt(4_000));
      // the peer acknowledges most of what it got, so the replay ring's head wraps too
      long received = buffer.sentSeq();
      if (received > acknowledged && random.nextInt(3) > 0) {
        acknowledged = received - random.nextInt((int) Math.min(3, received - acknowledged + 1));
        buffer.acknowledge(acknowledged);
      }
    }
    while (buffer.unwritten() > 0) {
      writeSome(written, 4_096);
    }
    long peerReceived = acknowledged;
    if (trimmed) {
      long before = buffer.retainedBytes();
      buffer.trimWhileDetached(); // the socket failed: the rings keep only their frames
      assertThat(buffer.retainedBytes()).isLessThan(before);
    }

    assertReplaysFrom(peerReceived, frames);
    assertThat(buffer.sentSeq()).isEqualTo(frames.size());

    // the session goes on: the rings grow again, and a second resumption replays from them
    for (int round = 0; round < 200; round++) {
      byte[] frame = frame(FrameType.DATA, random.nextInt(2_000), 10_000 + round);
      append(frame);
      frames.add(frame);
      writeSome(written, 1 + random.nextInt(4_000));
    }
    while (buffer.unwritten() > 0) {
      writeSome(written, 4_096);
    }
    buffer.trimWhileDetached();
    assertReplaysFrom(peerReceived, frames);
  }

  /** Resumes from {@code peerReceived}: what is written again is every later frame, whole. */
  private void assertReplaysFrom(long peerReceived, List<byte[]> frames) throws Exception {
    assertThat(buffer.rewind(peerReceived)).isTrue();
    ByteArrayOutputStream again = new ByteArrayOutputStream();
    while (buffer.unwritten() > 0) {
      writeSome(again, 1 + random.nextInt(4_000));
    }
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    for (int i = (int) peerReceived; i < frames.size(); i++) {
      expected.write(frames.get(i));
    }
    assertThat(again.toByteArray()).isEqualTo(expected.toByteArray());
  }

  @Test
  void framesWrittenFromTheSendersThreadKeepTheOrderTheCountsAndTheReplay() throws Exception {
    buffer.enableReplay();
    Socket socket = new Socket();
    List<byte[]> frames = new ArrayList<>();
    long acknowledged = 0;
    int direct = 0;
    for (int round = 0; round < 3_000; round++) {
      byte[] frame = frame(FrameType.DATA, random.nextInt(2_000), round);
      frames.add(frame);
      // a send in a burst is queued; one apart is written at once if nothing is queued, and the
      // socket takes all of it, part of it, or nothing: the rest is queued ahead of later frames
      if (random.nextBoolean() && buffer.writeDirect(ByteBuffer.wrap(frame), socket, null) >= 0) {
        direct++;
      } else {
        append(frame);
      }
      buffer.written(socket.take(buffer));
      assertThat(buffer.sentSeq() + buffer.queuedMessages()).isEqualTo(frames.size());
      long received = buffer.sentSeq();
      if (received > acknowledged && random.nextInt(3) == 0) {
        acknowledged = received - random.nextInt((int) Math.min(5, received - acknowledged + 1));
        buffer.acknowledge(acknowledged);
      }
    }
    while (buffer.unwritten() > 0) {
      buffer.written(socket.take(buffer));
    }

    assertThat(direct).as("frames written from the sender's thread").isGreaterThan(300);
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    for (byte[] frame : frames) {
      expected.write(frame);
    }
    assertThat(socket.bytes.toByteArray()).isEqualTo(expected.toByteArray());
    assertThat(buffer.sentSeq()).isEqualTo(frames.size());
    assertReplaysFrom(acknowledged, frames);
  }

  @Test
  void aFrameWrittenFromTheSendersThreadRespectsTheBoundOfTheReplayRing() throws Exception {
    OutboundBuffer small = small(true);
    Socket socket = takingAll();
    byte[] frame = frame(FrameType.DATA, 300, 1);
    for (int i = 0; i < 3; i++) {
      assertThat(small.writeDirect(ByteBuffer.wrap(frame), socket, null)).isEqualTo(frame.length);
    }

    // three frames written and not acknowledged take 924 of the 1000 bytes: a fourth would go past
    // the bound, so it is not written, and the sender waits for room as for a queued frame
    assertThat(small.writeDirect(ByteBuffer.wrap(frame), socket, null)).isEqualTo(-1);
    assertThat(small.sentSeq()).isEqualTo(3);

    small.acknowledge(2);
    assertThat(small.writeDirect(ByteBuffer.wrap(frame), socket, null)).isEqualTo(frame.length);
    assertThat(small.sentSeq()).isEqualTo(4);
    assertThat(socket.bytes.size()).isEqualTo(4 * frame.length);
  }

  @Test
  void aHandlersOwnSendAsyncWaitsOnlyForWhatIsNotYetWrittenAndGoesBeforeItsNextSend()
      throws Exception {
    OutboundBuffer small = small(true);
    Socket socket = takingAll();
    List<byte[]> frames = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      frames.add(frame(FrameType.DATA, 300, i)); // 305 bytes each
    }
    byte[] f = frames.get(0); // another thread's
    byte[] a = frames.get(1);
    byte[] b = frames.get(2);
    byte[] d = frames.get(3); // the handler's, behind a, b and the next one
    byte[] e = frames.get(4);
    byte[] g = frames.get(5); // another thread's again
    for (int i = 0; i < 3; i++) { // 915 bytes written and not acknowledged
      byte[] written = frame(FrameType.DATA, 300, 100 + i);
      assertThat(small.writeDirect(ByteBuffer.wrap(written), socket, null))
          .isEqualTo(written.length);
    }
    socket.bytes.reset();

    // another thread's sendAsync waits for an acknowledgement; the connection's handler's do not,
    // and do not wait behind it: they wait only while the frames not yet written fill the bound
    CompletableFuture<Void> fIn = new CompletableFuture<>();
    assertThat(appendAsyncOnAnotherThread(small, f, fIn)).isEqualTo(OutboundBuffer.ACCEPTED);
    assertThat(fIn).isNotDone();
    List<CompletableFuture<Void>> own = new ArrayList<>();
    for (byte[] frame : List.of(a, b, frames.get(6), d)) {
      CompletableFuture<Void> in = new CompletableFuture<>();
      assertThat(small.appendAsync(frame, frame.length, in, null, 0, true))
          .isEqualTo(OutboundBuffer.ACCEPTED);
      own.add(in);
    }
    assertThat(own.subList(0, 3)).allMatch(CompletableFuture::isDone);
    CompletableFuture<Void> dIn = own.get(3);
    assertThat(dIn).as("915 bytes not yet written: the fourth waits").isNotDone();
    // the handler's send goes behind its waiting frame, even one that would never wait itself
    assertThat(small.append(e, e.length, OutboundBuffer.Mode.OWN_WAIT, 0))
        .isEqualTo(OutboundBuffer.BACK_PRESSURED);
    assertThat(small.append(e, e.length, OutboundBuffer.Mode.OWN_LOOP, 0))
        .as("within twice the bound, it carries its frame in before it")
        .isEqualTo(OutboundBuffer.ACCEPTED);
    assertThat(dIn).isDone();
    assertThat(fIn).as("another thread's frame ahead of the handler's goes in with it").isDone();

    // the other thread's next one waits for acknowledgements again
    CompletableFuture<Void> gIn = new CompletableFuture<>();
    assertThat(appendAsyncOnAnotherThread(small, g, gIn)).isEqualTo(OutboundBuffer.ACCEPTED);
    while (small.unwritten() > 0) {
      small.written(socket.take(small));
    }
    assertThat(gIn).isNotDone();
    assertThat(small.unacknowledged()).isEqualTo(3 + 6);
    small.acknowledge(3 + 6);
    assertThat(gIn).isDone();
    while (small.unwritten() > 0) {
      small.written(socket.take(small));
    }

    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    for (byte[] frame : List.of(a, b, frames.get(6), f, d, e, g)) {
      expected.write(frame);
    }
    assertThat(socket.bytes.toByteArray()).isEqualTo(expected.toByteArray());
  }

  @Test
  void aHandlersWaitingSendAsyncGoesInAsWhatIsQueuedIsWrittenWithoutAnAcknowledgement()
      throws Exception {
    OutboundBuffer small = small(true);
    Socket socket = takingAll();
    byte[] frame = frame(FrameType.DATA, 300, 1);
    List<CompletableFuture<Void>> own = new ArrayList<>();
    for (int i = 0; i < 4; i++) { // three fit in the bound, the fourth waits
      CompletableFuture<Void> in = new CompletableFuture<>();
      assertThat(small.appendAsync(frame, frame.length, in, null, 0, true))
          .isEqualTo(OutboundBuffer.ACCEPTED);
      own.add(in);
    }
    CompletableFuture<Void> other = new CompletableFuture<>();
    assertThat(small.appendAsync(frame, frame.length, other, null, 0, false))
        .isEqualTo(OutboundBuffer.ACCEPTED);
    assertThat(own.get(3)).isNotDone();

    // written, and not acknowledged: the handler's frame goes in (a handler waiting for it would
    // otherwise wait for an ACK it cannot read), the other thread's waits for the ACK
    while (small.unwritten() > 0) {
      small.written(socket.take(small));
    }
    assertThat(own).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
    assertThat(small.unacknowledged()).isEqualTo(4);
    assertThat(other).isNotDone();
    small.acknowledge(4);
    assertThat(other).isDone();
  }

  @Test
  void aHandlersSendDoesNotCountTheReplayRingButAnotherThreadsStillDoes() throws Exception {
    OutboundBuffer small = small(true);
    Socket socket = takingAll();
    byte[] frame = frame(FrameType.DATA, 300, 1);
    for (int i = 0; i < 7; i++) { // 2135 bytes written and not acknowledged: over twice the bound
      assertThat(small.append(frame, frame.length, OutboundBuffer.Mode.FORCE, 0))
          .isEqualTo(OutboundBuffer.ACCEPTED);
    }
    while (small.unwritten() > 0) {
      small.written(socket.take(small));
    }
    for (OutboundBuffer.Mode mode : OutboundBuffer.Mode.values()) {
      if (mode == OutboundBuffer.Mode.FORCE) {
        continue;
      }
      int result = small.append(frame, frame.length, mode, 0);
      assertThat(result)
          .as(mode.toString())
          .isEqualTo(mode.own() ? OutboundBuffer.ACCEPTED : OutboundBuffer.BACK_PRESSURED);
      while (small.unwritten() > 0) {
        small.written(socket.take(small));
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(
      value = OutboundBuffer.Mode.class,
      names = {"HANDLER", "LOOP", "FORCE"})
  void aSendThatSkipsTheWaitingSendsCarriesThisThreadsInFirstButNotAnotherThreadsBehindThem(
      OutboundBuffer.Mode mode) throws Exception {
    OutboundBuffer small = small(false);
    Socket socket = takingAll();
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    for (int i = 0; i < 4; i++) { // 1220 bytes queued: over the bound, within twice it
      byte[] queued = frame(FrameType.DATA, 300, i);
      assertThat(small.append(queued, queued.length, OutboundBuffer.Mode.FORCE, 0))
          .isEqualTo(OutboundBuffer.ACCEPTED);
      expected.write(queued);
    }
    byte[] x = frame(FrameType.DATA, 300, 10); // this thread's sendAsync
    byte[] o = frame(FrameType.DATA, 300, 11); // another thread's, behind it
    byte[] y = frame(FrameType.DATA, 300, 12); // this thread's next send
    CompletableFuture<Void> xIn = new CompletableFuture<>();
    assertThat(small.appendAsync(x, x.length, xIn, null, 0, false))
        .isEqualTo(OutboundBuffer.ACCEPTED);
    assertThat(xIn).as("over the bound: the sendAsync frame waits").isNotDone();
    CompletableFuture<Void> oIn = new CompletableFuture<>();
    assertThat(appendAsyncOnAnotherThread(small, o, oIn)).isEqualTo(OutboundBuffer.ACCEPTED);

    // the send never waits within twice the bound (FORCE: ever), so it would skip the waiting
    // frames: it carries this thread's in first, and only as far as the last of them
    assertThat(small.append(y, y.length, mode, 0)).isEqualTo(OutboundBuffer.ACCEPTED);
    boolean xWentIn = xIn.isDone();
    boolean oStillWaited = !oIn.isDone();
    while (small.unwritten() > 0) {
      small.written(socket.take(small));
    }

    expected.write(x);
    expected.write(y);
    expected.write(o);
    assertThat(seeds(socket.bytes.toByteArray()))
        .as(
            "the frames on the wire: the queued four, sendAsync x (10), the send y (12), then the"
                + " other thread's o (11)")
        .containsExactly(0, 1, 2, 3, 10, 12, 11);
    assertThat(socket.bytes.toByteArray()).isEqualTo(expected.toByteArray());
    assertThat(xWentIn).as("this thread's waiting frame went in with the send").isTrue();
    assertThat(oStillWaited).as("the other thread's frame behind it still waited").isTrue();
    assertThat(oIn).isDone();
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(
      value = OutboundBuffer.Mode.class,
      names = {"HANDLER", "LOOP", "OWN_HANDLER", "OWN_LOOP", "FORCE"})
  void aSendThatCannotCarryThisThreadsWaitingFrameInWithinTwiceTheBoundDoesNotOvertakeIt(
      OutboundBuffer.Mode mode) throws Exception {
    OutboundBuffer small = small(false);
    Socket socket = takingAll();
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    for (int i = 0; i < 5; i++) { // 1525 bytes queued
      byte[] queued = frame(FrameType.DATA, 300, i);
      assertThat(small.append(queued, queued.length, OutboundBuffer.Mode.FORCE, 0))
          .isEqualTo(OutboundBuffer.ACCEPTED);
      expected.write(queued);
    }
    byte[] x = frame(FrameType.DATA, 600, 10); // 605 bytes: 2130 with it, past twice the bound
    byte[] y = frame(FrameType.DATA, 100, 11); // 1630 without x: within twice the bound
    CompletableFuture<Void> xIn = new CompletableFuture<>();
    assertThat(small.appendAsync(x, x.length, xIn, null, 0, mode.own()))
        .isEqualTo(OutboundBuffer.ACCEPTED);
    assertThat(xIn).isNotDone();

    int result = small.append(y, y.length, mode, 0);
    if (mode == OutboundBuffer.Mode.FORCE) {
      assertThat(result).as("FORCE is accepted whatever the bound, x with it").isEqualTo(0);
      assertThat(xIn).isDone();
    } else {
      // the loop's modes are refused, the handler's would wait (here: for no time)
      assertThat(result)
          .as("a send that would have gone ahead of this thread's waiting frame")
          .isEqualTo(OutboundBuffer.BACK_PRESSURED);
      assertThat(xIn).isNotDone();
      while (small.unwritten() > 0) {
        small.written(socket.take(small));
      }
      assertThat(xIn).as("in once the queued frames left room").isDone();
      assertThat(small.append(y, y.length, mode, 0)).isEqualTo(OutboundBuffer.ACCEPTED);
    }
    while (small.unwritten() > 0) {
      small.written(socket.take(small));
    }
    expected.write(x);
    expected.write(y);
    assertThat(seeds(socket.bytes.toByteArray())).containsExactly(0, 1, 2, 3, 4, 10, 11);
    assertThat(socket.bytes.toByteArray()).isEqualTo(expected.toByteArray());
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(
      value = OutboundBuffer.Mode.class,
      names = {"OWN_WAIT", "OWN_HANDLER", "OWN_LOOP"})
  void aFrameThisThreadQueuedForAnotherConnectionsHandlerGoesBeforeItsSendAsThisOnesHandler(
      OutboundBuffer.Mode mode) throws Exception {
    OutboundBuffer small = small(true);
    Socket socket = takingAll();
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    for (int i = 0; i < 7; i++) { // 2135 bytes written and not acknowledged: over twice the bound
      byte[] written = frame(FrameType.DATA, 300, i);
      assertThat(small.append(written, written.length, OutboundBuffer.Mode.FORCE, 0))
          .isEqualTo(OutboundBuffer.ACCEPTED);
      expected.write(written);
    }
    while (small.unwritten() > 0) {
      small.written(socket.take(small));
    }
    // a pool thread, in a handler of another connection, sends x here: it waits for an ACK; then,
    // in a handler of this connection, it sends y, which does not: x goes in with y, unacknowledged
    byte[] x = frame(FrameType.DATA, 300, 10);
    byte[] y = frame(FrameType.DATA, 300, 11);
    CompletableFuture<Void> xIn = new CompletableFuture<>();
    assertThat(small.appendAsync(x, x.length, xIn, null, 0, false))
        .isEqualTo(OutboundBuffer.ACCEPTED);
    assertThat(xIn).isNotDone();

    assertThat(small.append(y, y.length, mode, 0)).isEqualTo(OutboundBuffer.ACCEPTED);
    assertThat(xIn).isDone();
    while (small.unwritten() > 0) {
      small.written(socket.take(small));
    }
    expected.write(x);
    expected.write(y);
    assertThat(seeds(socket.bytes.toByteArray())).containsExactly(0, 1, 2, 3, 4, 5, 6, 10, 11);
    assertThat(socket.bytes.toByteArray()).isEqualTo(expected.toByteArray());
  }

  /**
   * A socket that takes all, part or none of what it is given, at random, and keeps what it took.
   */
  /** A buffer with a bound of 1000 bytes and an open socket; keeping frames for replay if asked. */
  private OutboundBuffer small(boolean replay) {
    OutboundBuffer small = new OutboundBuffer(1000, IllegalStateException::new, memory);
    small.socketOpen(true);
    if (replay) {
      small.enableReplay();
    }
    return small;
  }

  /** A socket that takes every byte written to it. */
  private Socket takingAll() {
    Socket socket = new Socket();
    socket.takeAll = true;
    return socket;
  }

  private final class Socket implements WritableByteChannel {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    boolean takeAll;

    @Override
    public int write(ByteBuffer src) {
      int n = src.remaining();
      int taken = takeAll || random.nextBoolean() ? n : random.nextInt(n + 1);
      bytes.write(src.array(), src.arrayOffset() + src.position(), taken);
      src.position(src.position() + taken);
      return taken;
    }

    /** Takes some of what the loop would copy out of the buffer; returns the bytes taken. */
    int take(OutboundBuffer from) {
      ByteBuffer chunk = ByteBuffer.allocate(1 + random.nextInt(8_000));
      int copied = from.drainTo(chunk);
      chunk.flip();
      return copied == 0 ? 0 : write(chunk);
    }

    @Override
    public boolean isOpen() {
      return true;
    }

    @Override
    public void close() {}
  }

  @Test
  void framesCopiedOutWhileASenderGrowsTheRingArriveIntact() throws Exception {
    // the loop copies frames out of the ring after releasing the lock; a sender meanwhile appends
    // behind them and, with a bound this large, makes the ring grow into new arrays
    int frames = 100_000;
    Thread sender =
        new Thread(
            () -> {
              Random lengths = new Random(7);
              try {
                for (int i = 0; i < frames; i++) {
                  byte[] frame = frame(FrameType.DATA, lengths.nextInt(2_000), i);
                  buffer.append(frame, frame.length, OutboundBuffer.Mode.WAIT, Long.MAX_VALUE);
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "sender");
    sender.start();

    Random lengths = new Random(7);
    ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
    ByteBuffer stream = ByteBuffer.allocate(256 * 1024);
    int checked = 0;
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
    while (checked < frames) {
      assertThat(System.nanoTime()).as("all frames within 60 s").isLessThan(deadline);
      chunk.clear();
      int copied = buffer.drainTo(chunk);
      buffer.written(copied);
      stream.put(chunk.flip());
      stream.flip();
      // every whole frame in the stream must be the next one the sender made
      while (stream.remaining() >= 4
          && stream.remaining() >= 4 + stream.getInt(stream.position())) {
        byte[] expected = frame(FrameType.DATA, lengths.nextInt(2_000), checked);
        byte[] actual = new byte[expected.length];
        stream.get(actual);
        assertThat(actual).as("frame %d", checked).isEqualTo(expected);
        checked++;
      }
      stream.compact();
    }
    sender.join(10_000);
    assertThat(buffer.sentSeq()).isEqualTo(frames);
  }

  @Test
  void largeFramesCountInTheSendMemoryUntilWrittenAndAcknowledgedAndLeaveItWithTheSession()
      throws Exception {
    buffer.enableReplay();
    List<Long> charges = new ArrayList<>(); // of frame seq - 1
    long acknowledged = 0;
    for (int round = 0; round < 400; round++) {
      boolean large = random.nextInt(4) == 0;
      byte[] frame = frame(FrameType.DATA, large ? 65_536 + random.nextInt(60_000) : 100, round);
      append(frame);
      charges.add(large ? (long) frame.length : 0);
      writeSome(new ByteArrayOutputStream(), 1 + random.nextInt(100_000));
      if (buffer.sentSeq() > acknowledged && random.nextBoolean()) {
        acknowledged = buffer.sentSeq() - random.nextInt(2);
        buffer.acknowledge(acknowledged);
      }
      // queued, or written and kept for replay: counted until acknowledged
      assertThat(memory.used()).isEqualTo(heldFrom(charges, acknowledged));
    }

    // a large frame written whole and not acknowledged: in the replay ring when the socket breaks
    byte[] last = frame(FrameType.DATA, 70_000, 400);
    append(last);
    charges.add((long) last.length);
    while (buffer.unwritten() > 0) {
      writeSome(new ByteArrayOutputStream(), 100_000);
    }
    assertThat(buffer.unacknowledged()).isPositive();
    assertThat(buffer.rewind(acknowledged)).isTrue(); // the replay goes back into the ring
    assertThat(memory.used())
        .isEqualTo(heldFrom(charges, acknowledged))
        .isGreaterThanOrEqualTo(last.length);
    buffer.dropSession();
    assertThat(memory.used()).isZero();
  }

  private static long heldFrom(List<Long> charges, long acknowledged) {
    return charges.subList((int) acknowledged, charges.size()).stream().mapToLong(c -> c).sum();
  }

  @Test
  void largeSendsWaitingForRoomCountOnceAndLeaveWhenRefused() throws Exception {
    OutboundBuffer small = small(false);
    byte[] first = frame(FrameType.DATA, 70_000, 1);
    byte[] second = frame(FrameType.DATA, 80_000, 2);
    byte[] third = frame(FrameType.DATA, 90_000, 3);
    assertThat(small.append(first, first.length, OutboundBuffer.Mode.FORCE, 0))
        .isEqualTo(OutboundBuffer.ACCEPTED);
    assertThat(memory.used()).as("counted by the buffer itself").isEqualTo(first.length);

    // a sendAsync frame that took its bytes first, then waits for room
    CompletableFuture<Void> secondIn = new CompletableFuture<>();
    assertThat(memory.tryTake(second.length)).isTrue();
    assertThat(small.appendAsync(second, second.length, secondIn, null, second.length, false))
        .isEqualTo(OutboundBuffer.ACCEPTED);
    assertThat(secondIn).isNotDone();
    assertThat(memory.used()).isEqualTo(first.length + second.length);

    ByteBuffer socket = ByteBuffer.allocate(first.length);
    assertThat(small.drainTo(socket)).isEqualTo(first.length);
    small.written(first.length); // the first leaves; the second moves into the ring
    assertThat(secondIn).isDone();
    assertThat(memory.used()).isEqualTo(second.length);

    CompletableFuture<Void> thirdIn = new CompletableFuture<>();
    assertThat(memory.tryTake(third.length)).isTrue();
    assertThat(small.appendAsync(third, third.length, thirdIn, null, third.length, false))
        .isEqualTo(OutboundBuffer.ACCEPTED);
    small.appendFinal(frame(FrameType.GOAWAY, 10, 4)); // refuses the waiting third
    assertThat(thirdIn).isCompletedExceptionally();
    assertThat(memory.used()).isEqualTo(second.length);
    small.discard();
    assertThat(memory.used()).isZero();
  }

  @Test
  void aRingGrownForALargeFrameIsGivenBackOnceItIsWrittenAndOneGrownForSmallOnesIsKept()
      throws Exception {
    OutboundBuffer small = small(false);
    byte[] large = frame(FrameType.DATA, 300_000, 1);
    small.append(large, large.length, OutboundBuffer.Mode.WAIT, 0);
    assertThat(small.retainedBytes()).isGreaterThanOrEqualTo(large.length);

    ByteBuffer socket = ByteBuffer.allocate(large.length);
    small.written(small.drainTo(socket));
    assertThat(small.retainedBytes()).as("not kept for small frames").isZero();

    // one that grew for small frames only, even past the bound, stays: it is reused, not made
    // again for each burst (made again, it cost a streaming sender a third more CPU per message)
    byte[] notLarge = frame(FrameType.DATA, 30_000, 2);
    small.append(notLarge, notLarge.length, OutboundBuffer.Mode.WAIT, 0);
    small.written(small.drainTo(ByteBuffer.allocate(notLarge.length)));
    assertThat(small.retainedBytes()).isGreaterThanOrEqualTo(notLarge.length);
  }

  /** A {@code sendAsync} of {@code frame} by a thread that is not a handler of the connection. */
  private static int appendAsyncOnAnotherThread(
      OutboundBuffer to, byte[] frame, CompletableFuture<Void> accepted) throws Exception {
    AtomicInteger result = new AtomicInteger(-1);
    Thread other =
        new Thread(() -> result.set(to.appendAsync(frame, frame.length, accepted, null, 0, false)));
    other.start();
    other.join(10_000);
    assertThat(other.isAlive()).isFalse();
    return result.get();
  }

  /** The seeds of the frames {@link #frame} made, in the order they are in {@code stream}. */
  private static List<Integer> seeds(byte[] stream) {
    List<Integer> seeds = new ArrayList<>();
    ByteBuffer frames = ByteBuffer.wrap(stream);
    while (frames.remaining() >= Frames.HEADER_BYTES) {
      int length = frames.getInt(frames.position());
      int body = frames.position() + Frames.HEADER_BYTES;
      seeds.add(length > 1 ? seedOf(frames.get(body)) : -1);
      frames.position(frames.position() + 4 + length);
    }
    return seeds;
  }

  /** The seed whose frame's body begins with {@code first}: seed * 31 modulo 256, 31 being odd. */
  private static int seedOf(byte first) {
    for (int seed = 0; seed < 256; seed++) {
      if ((byte) (seed * 31) == first) {
        return seed;
      }
    }
    throw new AssertionError("unreachable: 31 is invertible modulo 256");
  }

  /** A frame of {@code type} with a body of {@code bodyBytes} bytes, each distinct by position. */
  private static byte[] frame(int type, int bodyBytes, int seed) {
    ByteBuffer frame = Frames.allocate(type, bodyBytes);
    for (int i = 0; i < bodyBytes; i++) {
      frame.put((byte) (seed * 31 + i));
    }
    return frame.array();
  }

  private void append(byte[] frame) throws InterruptedException {
    assertThat(buffer.append(frame, frame.length, OutboundBuffer.Mode.WAIT, 0))
        .isEqualTo(OutboundBuffer.ACCEPTED);
  }

  /**
   * Lets the "socket" take up to {@code max} bytes of what the loop copies out, as a write does.
   */
  private void writeSome(ByteArrayOutputStream socket, int max) {
    ByteBuffer chunk = ByteBuffer.allocate(max);
    int copied = buffer.drainTo(chunk);
    // a write takes all it is given, or (a full socket) only part of it
    int taken = copied == 0 || random.nextBoolean() ? copied : 1 + random.nextInt(copied);
    socket.write(chunk.array(), 0, taken);
    buffer.written(taken);
  }
}
