package dev.tether.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.testing.Allocations;
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
