package dev.tether.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.testing.Allocations;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

class InboundQueueTest {
  private static final Object ITEM = new Object();

  private final InboundQueue queue = new InboundQueue(100_000, Long.MAX_VALUE, () -> {});
  private final Object[] batch = new Object[64];

  @Test
  void burstsAfterTheFirstReuseTheRingAndAllocateNothing() {
    assumeTrue(Allocations.measurable());
    burst(); // grows the ring to the burst's size
    burst(); // warms up the code the measured bursts run
    long before = Allocations.current();
    for (int round = 0; round < 20; round++) {
      burst();
    }
    assertThat(Allocations.since(before)).as("bytes allocated by 20 bursts of 1,000").isZero();
  }

  @Test
  void theRingIsGivenBackOnlyOnceNothingCameForAWholeTrimInterval() {
    assumeTrue(Allocations.measurable());
    burst();
    queue.trimIfIdle(); // items came since the last look: kept
    long before = Allocations.current();
    burst();
    assertThat(Allocations.since(before)).as("bytes allocated by a burst after one look").isZero();

    queue.trimIfIdle();
    queue.trimIfIdle(); // nothing came in between: given back
    before = Allocations.current();
    burst();
    assertThat(Allocations.since(before))
        .as("bytes allocated by a burst after the ring was given back")
        .isPositive();
  }

  @Test
  void aTrimNeverDropsQueuedItems() {
    for (int i = 0; i < 10; i++) {
      queue.offer(i, 1);
    }
    queue.trimIfIdle();
    queue.trimIfIdle();
    assertThat(queue.drain(batch)).isEqualTo(10);
    assertThat(batch).startsWith(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
  }

  @Test
  void aConsumerTakesAnItemOfferedWhileItLooksOrWaits() throws Exception {
    for (long delayMicros : new long[] {0, 20, 50_000}) {
      CompletableFuture<Object> taken =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return queue.poll(TimeUnit.SECONDS.toNanos(10), () -> false);
                } catch (InterruptedException e) {
                  throw new IllegalStateException(e);
                }
              });
      LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(delayMicros));
      queue.offer(delayMicros, 8);
      assertThat(taken.get(10, TimeUnit.SECONDS)).isEqualTo(delayMicros);
    }
  }

  @Test
  void aStoppedConsumerGetsNothingAndDoesNotWaitOutItsTimeout() throws Exception {
    long start = System.nanoTime();
    assertThat(queue.poll(TimeUnit.SECONDS.toNanos(30), () -> true)).isNull();
    assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(10));
  }

  @Test
  void stagedBurstsAfterTheFirstAllocateNothingUntilTheStageIsRenewed() {
    assumeTrue(Allocations.measurable());
    stagedBurst();
    stagedBurst();
    long before = Allocations.current();
    for (int round = 0; round < 20; round++) {
      stagedBurst();
    }
    assertThat(Allocations.since(before))
        .as("bytes allocated by 20 staged bursts of 1,000")
        .isZero();
  }

  @Test
  void stagedItemsReachConsumersOnlyOncePublishedAndBeforeLaterOffers() {
    queue.stage(1, 8);
    queue.stage(2, 8);
    assertThat(queue.size()).as("items a consumer sees before the publication").isZero();
    assertThat(queue.drain(batch)).isZero();

    queue.offer("event", 0); // an event offered after them comes after them
    queue.stage(3, 8);
    assertThat(queue.publish()).isTrue();
    assertThat(queue.drain(batch)).isEqualTo(4);
    assertThat(batch).startsWith(1, 2, "event", 3);
  }

  @Test
  void stagingReportsALimitExactlyWhenOfferingWould() {
    InboundQueue counted = new InboundQueue(10, Long.MAX_VALUE, () -> {});
    for (int i = 0; i < 9; i++) {
      assertThat(counted.stage(i, 1)).as("item %d of 10", i + 1).isTrue();
    }
    assertThat(counted.stage(9, 1)).as("the tenth item of 10").isFalse();
    assertThat(counted.isFull()).isTrue();
    assertThat(counted.drain(new Object[5])).isEqualTo(5);
    // the consumers' room is seen at the next publication
    assertThat(counted.stage(10, 1)).isTrue();
    assertThat(counted.size()).isEqualTo(6);

    InboundQueue sized = new InboundQueue(100, 1000, () -> {});
    assertThat(sized.stage("a", 300)).isTrue();
    assertThat(sized.stage("b", 300)).isTrue();
    assertThat(sized.stage("c", 300)).isTrue();
    assertThat(sized.stage("d", 300)).as("1,200 bytes of a 1,000-byte limit").isFalse();
    assertThat(sized.size()).as("items published by the refusal").isEqualTo(4);
  }

  @Test
  void halfFullCountsStagedItems() {
    InboundQueue counted = new InboundQueue(10, Long.MAX_VALUE, () -> {});
    for (int i = 0; i < 4; i++) {
      counted.stage(i, 1);
    }
    assertThat(counted.halfFull()).isFalse();
    counted.stage(4, 1);
    assertThat(counted.halfFull()).isTrue();
    counted.publish();
    assertThat(counted.drain(batch)).isEqualTo(5);
    assertThat(counted.halfFull()).as("before the next publication").isTrue();
    counted.publish();
    assertThat(counted.halfFull()).isFalse();
  }

  @Test
  void aClearDropsStagedItemsToo() {
    queue.offer(0, 1);
    queue.stage(1, 1);
    queue.stage(2, 1);
    assertThat(queue.clear(item -> {})).isEqualTo(3);
    queue.publish();
    assertThat(queue.size()).isZero();
  }

  @Test
  void aConsumerOnTheOfferingThreadTakesTheStageWholeWhenNothingIsQueued() {
    InboundQueue counted = new InboundQueue(1000, Long.MAX_VALUE, () -> {});
    for (int i = 0; i < 600; i++) { // past the stage's size: kept, it grows instead of publishing
      assertThat(counted.stage(i, 8, true)).isTrue();
    }
    assertThat(counted.size()).as("items published").isZero();
    assertThat(counted.stagedCount()).isEqualTo(600);

    Object[] spare = new Object[64];
    Object[] taken = counted.takeStaged(spare);
    assertThat(taken).isNotNull();
    for (int i = 0; i < 600; i++) {
      assertThat(taken[i]).isEqualTo(i);
    }
    assertThat(counted.stagedCount()).isZero();
    assertThat(counted.size()).isZero();

    // the spare is the stage now; what is staged next is published as before
    counted.stage("next", 8);
    assertThat(spare[0]).isEqualTo("next");
    counted.publish();
    assertThat(counted.drain(batch)).isEqualTo(1);
    assertThat(batch[0]).isEqualTo("next");
  }

  @Test
  void theArraysAStageTakenWholeGoesRoundInAreRenewedAndLoseNothing() {
    // stores into an array the collector has moved to the old generation cost G1 a memory fence
    // each: no array may carry much more than RENEW_STORES items between renewals
    int perTurn = 937;
    int turns = 5 * YoungArrays.RENEW_STORES / perTurn;
    Map<Object[], Integer> carried = new IdentityHashMap<>();
    Object[] spare = new Object[64];
    int next = 0;
    int expected = 0;
    for (int turn = 0; turn < turns; turn++) {
      for (int i = 0; i < perTurn; i++) {
        queue.stage(next++, 64, true);
      }
      Object[] taken = queue.takeStaged(spare);
      assertThat(taken).as("turn %d", turn).isNotNull();
      carried.merge(taken, perTurn, Integer::sum);
      for (int i = 0; i < perTurn; i++) {
        assertThat(taken[i]).isEqualTo(expected++);
        taken[i] = null;
      }
      spare = taken;
    }
    assertThat(carried.size())
        .as("arrays used for %,d items", turns * perTurn)
        .isGreaterThanOrEqualTo(2 * (turns * perTurn / YoungArrays.RENEW_STORES));
    assertThat(Collections.max(carried.values()))
        .as("the most items one array carried")
        .isLessThanOrEqualTo(YoungArrays.RENEW_STORES + 2 * perTurn);
  }

  @Test
  void aPublishedStageIsRenewedEveryRenewStoresItems() {
    assumeTrue(Allocations.measurable());
    stagedBurst();
    stagedBurst();
    int bursts = 4 * YoungArrays.RENEW_STORES / 1000;
    long before = Allocations.current();
    for (int round = 0; round < bursts; round++) {
      stagedBurst();
    }
    long allocated = Allocations.since(before);
    long renewals = (long) bursts * 1000 / YoungArrays.RENEW_STORES;
    long stageArray = 16 + 8L * 256; // its default size, with the widest references
    assertThat(allocated)
        .as("bytes allocated by %d staged bursts of 1,000", bursts)
        .isGreaterThanOrEqualTo(renewals * (16 + 4L * 256)) // the new arrays, at least
        .isLessThanOrEqualTo((renewals + 1) * stageArray);
  }

  @Test
  void theStageIsPublishedBehindQueuedItemsRatherThanTakenAheadOfThem() {
    queue.offer("queued", 8);
    queue.stage("staged", 8, true);
    assertThat(queue.takeStaged(new Object[64])).isNull();
    assertThat(queue.stagedCount()).isZero();
    assertThat(queue.drain(batch)).isEqualTo(2);
    assertThat(batch).startsWith("queued", "staged");
  }

  @Test
  void aKeptStageIsStillPublishedAtALimit() {
    InboundQueue counted = new InboundQueue(300, Long.MAX_VALUE, () -> {});
    for (int i = 0; i < 299; i++) {
      assertThat(counted.stage(i, 1, true)).isTrue();
    }
    assertThat(counted.stage(299, 1, true)).as("the 300th item of 300").isFalse();
    assertThat(counted.size()).as("items published by the refusal").isEqualTo(300);
    assertThat(counted.isFull()).isTrue();
  }

  @Test
  void runsMovedInAndOutAcrossTheRingsEndKeepOrderAndByteCounts() {
    InboundQueue small = new InboundQueue(100, 2_000, () -> {});
    Random random = new Random(42);
    long nextIn = 0;
    long nextOut = 0;
    long heldBytes = 0;
    for (int round = 0; round < 2_000; round++) {
      int in = random.nextInt(40);
      for (int i = 0; i < in; i++) {
        small.stage(nextIn, size(nextIn));
        heldBytes += size(nextIn);
        nextIn++;
      }
      small.publish();
      Object[] into = new Object[1 + random.nextInt(64)];
      int out = small.drain(into);
      assertThat(out).isEqualTo((int) Math.min(into.length, nextIn - nextOut));
      for (int i = 0; i < out; i++) {
        assertThat(into[i]).isEqualTo(nextOut);
        heldBytes -= size(nextOut);
        nextOut++;
      }
      long held = nextIn - nextOut;
      assertThat(small.size()).isEqualTo(held);
      assertThat(small.isFull())
          .as("full with %d items and %d bytes held", held, heldBytes)
          .isEqualTo(held >= 100 || heldBytes >= 2_000);
    }
    assertThat(nextOut).isGreaterThan(10_000);
  }

  private static int size(long item) {
    return (int) (item % 50);
  }

  private void stagedBurst() {
    for (int i = 0; i < 1000; i++) {
      queue.stage(ITEM, 64);
    }
    queue.publish();
    int taken = 0;
    while (taken < 1000) {
      taken += queue.drain(batch);
    }
  }

  private void burst() {
    for (int i = 0; i < 1000; i++) {
      queue.offer(ITEM, 64);
    }
    int taken = 0;
    while (taken < 1000) {
      taken += queue.drain(batch);
    }
  }
}
