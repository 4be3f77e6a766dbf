package dev.tether.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * An inbound queue's small frames beyond its allowance draw on the runtime's {@link ReceiveMemory}
 * a step at a time and give it back as the consumer takes them; while the memory has nothing free
 * the queue counts as full, and it is told when a release made room. Frames large enough to hold
 * their own share of that memory draw nothing more.
 */
class InboundQueueMemoryTest {
  private static final int STEP = InboundQueue.ALLOWANCE;
  private static final int SMALL = 1_000;

  private final AtomicInteger rooms = new AtomicInteger();

  private InboundQueue queue(ReceiveMemory memory) {
    return new InboundQueue(1_000_000, 16L * 1024 * 1024, rooms::incrementAndGet, memory);
  }

  @Test
  void smallFramesWithinTheAllowanceDrawNothing() {
    ReceiveMemory memory = new ReceiveMemory(10 * STEP);
    InboundQueue queue = queue(memory);
    int fit = STEP / SMALL - 1;
    for (int i = 0; i < fit; i++) {
      assertThat(queue.stage(i, SMALL)).isTrue();
    }
    queue.publish();
    assertThat(memory.used()).isZero();
    assertThat(queue.reserved()).isZero();
  }

  @Test
  void aBacklogDrawsStepByStepAndGivesItAllBackOnceTaken() {
    ReceiveMemory memory = new ReceiveMemory(100 * STEP);
    InboundQueue queue = queue(memory);
    int items = 5 * STEP / SMALL; // five allowances' worth
    for (int i = 0; i < items; i++) {
      assertThat(queue.stage(i, SMALL)).as("item %d", i).isTrue();
    }
    queue.publish();
    long held = (long) items * SMALL;
    assertThat(memory.used())
        .as("drawn for %d bytes held", held)
        .isEqualTo(queue.reserved())
        .isGreaterThanOrEqualTo(held - STEP)
        .isLessThanOrEqualTo(held - STEP + STEP);
    assertThat(memory.used() % STEP).isZero();

    Object[] into = new Object[64];
    int taken = 0;
    while (taken < items) {
      int n = queue.drain(into);
      for (int i = 0; i < n; i++) {
        assertThat(into[i]).isEqualTo(taken + i); // nothing lost, nothing reordered
      }
      taken += n;
      long left = (long) (items - taken) * SMALL;
      // given back as it goes: what is left, and a step more
      assertThat(memory.used()).isLessThanOrEqualTo(Math.max(0, left - STEP) + 2L * STEP);
    }
    assertThat(memory.used()).as("all given back once empty").isZero();
  }

  @Test
  void withTheMemorySpentTheQueueIsFullAtItsAllowanceAndToldWhenARelease() {
    ReceiveMemory memory = new ReceiveMemory(STEP);
    ReceiveMemory.Account other = memory.account(() -> {});
    assertThat(other.reserve(STEP)).isEqualTo(STEP); // another connection holds it all
    InboundQueue queue = queue(memory);

    boolean room = true;
    int staged = 0;
    while (room && staged < 10 * STEP / SMALL) {
      room = queue.stage(staged++, SMALL);
    }
    assertThat(room).as("reading pauses").isFalse();
    assertThat((long) staged * SMALL)
        .as("bytes let in")
        .isBetween((long) STEP, (long) STEP + SMALL);
    assertThat(queue.isFull()).isTrue();
    assertThat(rooms.get()).isZero();

    other.release(STEP);
    assertThat(rooms.get()).as("told that a release made room").isEqualTo(1);
    assertThat(queue.isFull()).as("takes the grant and reads on").isFalse();
    assertThat(queue.reserved()).isEqualTo(STEP);
    assertThat(memory.used()).isEqualTo(STEP);
  }

  @Test
  void aQueueTakenEmptyWhileItWaitedLeavesTheLineAndKeepsNoGrant() {
    ReceiveMemory memory = new ReceiveMemory(STEP);
    ReceiveMemory.Account other = memory.account(() -> {});
    assertThat(other.reserve(STEP)).isEqualTo(STEP);
    InboundQueue queue = queue(memory);
    int staged = 0;
    while (queue.stage(staged, SMALL)) {
      staged++;
    }
    assertThat(queue.isFull()).as("waits for memory").isTrue();

    queue.drain(new Object[10 * STEP / SMALL]); // its consumer caught up meanwhile
    assertThat(queue.isFull()).isFalse();
    other.release(STEP);

    // a grant to a queue that no longer needs it would be held until it next did, or closed: enough
    // such queues would hold all of it, and every other connection would wait for ever
    assertThat(memory.used()).as("held once the other gave back").isZero();
    ReceiveMemory.Account third = memory.account(() -> {});
    assertThat(third.reserve(STEP)).as("another connection's next frame").isEqualTo(STEP);
  }

  @Test
  void aLargeReadStagedForAConsumerOnTheLoopIsHandedOverWholeAndDrawsNothing() {
    // a read of many small frames, taken at the end of the loop's turn without passing through the
    // ring: it holds no memory beyond the turn, and publishing it message by message past the
    // allowance would take the lock for each and send it through the ring
    ReceiveMemory memory = new ReceiveMemory(100 * STEP);
    InboundQueue queue = queue(memory);
    int items = 4 * STEP / 64;
    for (int i = 0; i < items; i++) {
      assertThat(queue.stage(i, 64, true)).isTrue();
    }
    assertThat(queue.size()).as("published into the ring").isZero();
    Object[] taken = queue.takeStaged(new Object[16]);
    assertThat(taken).isNotNull();
    assertThat(taken[items - 1]).isEqualTo(items - 1);
    assertThat(memory.used()).isZero();
  }

  @Test
  void framesThatHoldTheirOwnMemoryDrawNothingMore() {
    ReceiveMemory memory = new ReceiveMemory(100 * STEP);
    InboundQueue queue = queue(memory);
    int large = STEP + 100; // over the size at which the decoder reserves a frame whole
    for (int i = 0; i < 10; i++) {
      assertThat(queue.stage(i, large)).isTrue();
    }
    queue.publish();
    assertThat(queue.size()).isEqualTo(10);
    assertThat(memory.used()).as("drawn for frames that hold their own").isZero();

    queue.stage(10, SMALL); // small ones still have their allowance
    queue.publish();
    assertThat(memory.used()).isZero();
  }

  @Test
  void anEndedConnectionGivesBackWhatItsQueueDrewAndDrawsNoMore() {
    ReceiveMemory memory = new ReceiveMemory(100 * STEP);
    InboundQueue queue = queue(memory);
    for (int i = 0; i < 3 * STEP / SMALL; i++) {
      queue.stage(i, SMALL);
    }
    queue.publish();
    assertThat(memory.used()).isPositive();

    queue.endMemory();
    assertThat(memory.used()).isZero();
    for (int i = 0; i < 3 * STEP / SMALL; i++) {
      queue.stage(i, SMALL); // what a closing connection still queues for receive()
    }
    queue.publish();
    assertThat(memory.used()).isZero();
    queue.clear(item -> {});
    assertThat(memory.used()).isZero();
  }
}
