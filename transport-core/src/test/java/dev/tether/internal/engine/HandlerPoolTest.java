package dev.tether.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class HandlerPoolTest {
  private final HandlerPool pool = new HandlerPool(LoopGroup.daemonThreads("pool-test-"));

  @Test
  void runsEveryTaskAndReusesIdleThreads() {
    AtomicInteger ran = new AtomicInteger();
    for (int round = 0; round < 100; round++) {
      int before = ran.get();
      pool.execute(ran::incrementAndGet);
      await().atMost(Duration.ofSeconds(5)).until(() -> ran.get() == before + 1);
    }
    assertThat(pool.threadCount()).as("one task at a time needs one thread").isLessThanOrEqualTo(2);
  }

  @Test
  void aBlockedTaskDoesNotHoldBackTheOthers() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch blocked = new CountDownLatch(3);
    submitBlocking(3, blocked, release);
    assertThat(blocked.await(5, TimeUnit.SECONDS)).as("three blocking tasks run at once").isTrue();
    CountDownLatch other = new CountDownLatch(1);
    pool.execute(other::countDown);
    assertThat(other.await(5, TimeUnit.SECONDS)).isTrue();
    release.countDown();
  }

  @Test
  void aSpinningThreadThatTakesABlockingTaskLeavesTheNextToAnother() throws Exception {
    // Found in a build: a worker spinning for work took the first of two tasks submitted at once,
    // which blocked; the second, submitted while a spinner was counted, waited for a later task
    // to wake a thread (20 s, a request timeout, in PartitionedRequestTest)
    for (int round = 0; round < 200; round++) {
      CountDownLatch warm = new CountDownLatch(1);
      pool.execute(warm::countDown);
      assertThat(warm.await(5, TimeUnit.SECONDS)).isTrue(); // its thread now spins for more
      CountDownLatch release = new CountDownLatch(1);
      CountDownLatch second = new CountDownLatch(1);
      pool.execute(() -> awaitQuietly(release));
      pool.execute(second::countDown);
      boolean ran = second.await(5, TimeUnit.SECONDS);
      release.countDown();
      assertThat(ran).as("round %d: the task after a blocking one ran", round).isTrue();
    }
  }

  @Test
  void aBurstOfBlockingTasksGetsAThreadEach() throws Exception {
    // one wake-up in flight at a time: each thread that arrives and takes a task wakes the next
    // while tasks wait, so 50 tasks that all block until all 50 run do all run
    for (int round = 0; round < 20; round++) {
      CountDownLatch started = new CountDownLatch(50);
      CountDownLatch release = new CountDownLatch(1);
      submitBlocking(50, started, release);
      boolean all = started.await(10, TimeUnit.SECONDS);
      release.countDown();
      assertThat(all).as("round %d: %d of 50 started", round, 50 - started.getCount()).isTrue();
    }
  }

  @Test
  void aBurstOfShortTasksDoesNotStartAThreadPerTask() throws Exception {
    for (int round = 0; round < 10; round++) {
      CountDownLatch done = new CountDownLatch(2000);
      for (int i = 0; i < 2000; i++) {
        pool.execute(done::countDown);
      }
      assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    }
    // a wake-up per task that found no free thread started hundreds here
    assertThat(pool.threadCount()).as("threads for bursts of 2,000 short tasks").isLessThan(32);
  }

  @Test
  void aFailingTaskDoesNotStopItsThread() throws Exception {
    CountDownLatch after = new CountDownLatch(1);
    pool.execute(
        () -> {
          throw new IllegalStateException("boom");
        });
    pool.execute(after::countDown);
    assertThat(after.await(5, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void shutdownRefusesNewTasksAndIdleThreadsEnd() {
    pool.execute(() -> {});
    await().atMost(Duration.ofSeconds(5)).until(() -> pool.threadCount() >= 1);
    pool.shutdown();
    await().atMost(Duration.ofSeconds(5)).until(() -> pool.threadCount() == 0);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> pool.execute(() -> {}))
        .isInstanceOf(java.util.concurrent.RejectedExecutionException.class);
  }

  /** Submits {@code n} tasks that count {@code started} down, then block until {@code release}. */
  private void submitBlocking(int n, CountDownLatch started, CountDownLatch release) {
    for (int i = 0; i < n; i++) {
      pool.execute(
          () -> {
            started.countDown();
            awaitQuietly(release);
          });
    }
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
