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
    for (int i = 0; i < 3; i++) {
      pool.execute(
          () -> {
            blocked.countDown();
            try {
              release.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
    }
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
      pool.execute(
          () -> {
            try {
              release.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
      pool.execute(second::countDown);
      boolean ran = second.await(5, TimeUnit.SECONDS);
      release.countDown();
      assertThat(ran).as("round %d: the task after a blocking one ran", round).isTrue();
    }
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
}
