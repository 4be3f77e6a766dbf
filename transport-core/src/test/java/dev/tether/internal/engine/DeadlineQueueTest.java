package dev.tether.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DeadlineQueueTest {
  /** A timer that records when it ran into a shared list. */
  private static final class Recorded extends DeadlineQueue.Timer {
    final String name;
    final List<String> log;

    Recorded(String name, List<String> log) {
      this.name = name;
      this.log = log;
    }

    @Override
    void onTimer(long now) {
      log.add(name);
    }
  }

  @Test
  void runsDueTimersEarliestFirstAndLeavesTheRest() {
    List<String> log = new ArrayList<>();
    DeadlineQueue queue = new DeadlineQueue();
    queue.schedule(new Recorded("c", log), 30);
    queue.schedule(new Recorded("a", log), 10);
    queue.schedule(new Recorded("d", log), 40);
    queue.schedule(new Recorded("b", log), 20);

    queue.expire(25);

    assertThat(log).containsExactly("a", "b");
    assertThat(queue.size()).isEqualTo(2);
    assertThat(queue.nextDeadline()).isEqualTo(30);
  }

  @Test
  void aCancelledTimerIsGoneAtOnceAndNeverRuns() {
    List<String> log = new ArrayList<>();
    DeadlineQueue queue = new DeadlineQueue();
    Recorded a = new Recorded("a", log);
    Recorded b = new Recorded("b", log);
    queue.schedule(a, 10);
    queue.schedule(b, 20);

    queue.cancel(a);
    queue.cancel(a); // twice is harmless

    assertThat(queue.size()).isEqualTo(1);
    assertThat(a.isScheduled()).isFalse();
    queue.expire(100);
    assertThat(log).containsExactly("b");
  }

  @Test
  void reschedulingMovesATimerEitherWay() {
    List<String> log = new ArrayList<>();
    DeadlineQueue queue = new DeadlineQueue();
    Recorded a = new Recorded("a", log);
    Recorded b = new Recorded("b", log);
    queue.schedule(a, 10);
    queue.schedule(b, 20);

    queue.schedule(a, 30); // later
    queue.expire(25);
    assertThat(log).containsExactly("b");
    queue.schedule(a, 5); // earlier again
    assertThat(queue.nextDeadline()).isEqualTo(5);
  }

  @Test
  void deadlinesCompareAcrossTheWrapOfNanoTime() {
    List<String> log = new ArrayList<>();
    DeadlineQueue queue = new DeadlineQueue();
    long now = Long.MAX_VALUE - 5;
    queue.schedule(new Recorded("later", log), now + 10); // wraps to a negative number
    queue.schedule(new Recorded("sooner", log), now + 1);

    queue.expire(now + 2);
    assertThat(log).containsExactly("sooner");
    queue.expire(now + 10);
    assertThat(log).containsExactly("sooner", "later");
  }

  @Test
  void keepsHeapOrderUnderRandomSchedulesAndCancels() {
    Random random = new Random(7);
    List<String> log = new ArrayList<>();
    DeadlineQueue queue = new DeadlineQueue();
    List<Recorded> live = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      Recorded t = new Recorded(Integer.toString(i), log);
      queue.schedule(t, random.nextInt(1_000_000));
      live.add(t);
      if (random.nextInt(3) == 0) {
        queue.cancel(live.remove(random.nextInt(live.size())));
      }
    }
    assertThat(queue.size()).isEqualTo(live.size());
    long previous = Long.MIN_VALUE;
    while (queue.size() > 0) {
      long next = queue.nextDeadline();
      assertThat(next).isGreaterThanOrEqualTo(previous);
      previous = next;
      queue.expire(next);
    }
    assertThat(log).hasSize(live.size());
  }
}
