package dev.tether.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SendMemoryTest {
  private static final long LONG_WAIT = TimeUnit.SECONDS.toNanos(20);

  private final SendMemory memory = new SendMemory(100);

  @Test
  void takesWhileAnythingIsFreeSoOneFrameMayGoOverTheCapacity() throws Exception {
    assertThat(memory.take(99, 0, () -> false)).isTrue();
    assertThat(memory.tryTake(500)).isTrue(); // 1 byte was free
    assertThat(memory.used()).isEqualTo(599);
    assertThat(memory.tryTake(1)).isFalse();
    memory.force(7); // a loop's frame: counted all the same
    assertThat(memory.used()).isEqualTo(606);
  }

  @Test
  void sendersThatWaitAreLetInInTheOrderTheyCame() throws Exception {
    assertThat(memory.take(100, 0, () -> false)).isTrue();
    List<String> order = new CopyOnWriteArrayList<>();
    CompletableFuture<Boolean> first = waitFor(60, "first", order);
    await().until(() -> waiting() == 1);
    CompletableFuture<Boolean> second = waitFor(70, "second", order);
    await().until(() -> waiting() == 2);
    assertThat(memory.tryTake(1)).as("no overtaking those who wait").isFalse();

    memory.release(50); // 50 used: the first's turn; with 110 used, the second waits on
    assertThat(first.get(10, TimeUnit.SECONDS)).isTrue();
    assertThat(memory.used()).isEqualTo(110);
    assertThat(second).isNotDone();

    memory.release(50);
    assertThat(second.get(10, TimeUnit.SECONDS)).isTrue();
    assertThat(order).containsExactly("first", "second");
    memory.release(130);
    assertThat(memory.used()).isZero();
  }

  @Test
  void aSenderGivesUpOnlyAfterItsWaitWithoutAnyMemoryGivenBack() throws Exception {
    assertThat(memory.take(100, 0, () -> false)).isTrue();
    long wait = TimeUnit.MILLISECONDS.toNanos(300);
    CompletableFuture<Long> gaveUpAt =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                assertThat(memory.take(10, wait, () -> false)).isFalse();
                return System.nanoTime();
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            },
            runnable -> new Thread(runnable).start());
    // a release that leaves nothing free is progress all the same: the wait starts again from it
    await().until(() -> waiting() == 1);
    memory.force(1);
    long beforeRelease = System.nanoTime();
    memory.release(1);

    assertThat(gaveUpAt.get(10, TimeUnit.SECONDS) - beforeRelease).isGreaterThanOrEqualTo(wait);
    assertThat(memory.used()).as("a sender that gave up takes nothing").isEqualTo(100);
    assertThat(waiting()).as("and no longer holds up those behind").isZero();
    memory.release(100);
    assertThat(memory.tryTake(1)).isTrue();
  }

  @Test
  void anInterruptedSenderTakesNothingAndTheOneBehindItGoesIn() throws Exception {
    assertThat(memory.take(100, 0, () -> false)).isTrue();
    Thread interrupted =
        new Thread(
            () -> {
              try {
                memory.take(10, LONG_WAIT, () -> false);
              } catch (InterruptedException expected) {
                // nothing taken
              }
            });
    interrupted.start();
    await().until(() -> waiting() == 1);
    CompletableFuture<Boolean> behind = waitFor(20, "behind", new CopyOnWriteArrayList<>());
    await().until(() -> waiting() == 2);

    interrupted.interrupt();
    interrupted.join(10_000);
    memory.release(100);

    assertThat(behind.get(10, TimeUnit.SECONDS)).isTrue();
    assertThat(memory.used()).isEqualTo(20);
  }

  @Test
  void aSenderWhoseConnectionClosesStopsWaitingAndTakesNothing() throws Exception {
    assertThat(memory.take(100, 0, () -> false)).isTrue();
    AtomicBoolean closed = new AtomicBoolean();
    CompletableFuture<Boolean> waiter =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return memory.take(10, LONG_WAIT, closed::get);
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            },
            runnable -> new Thread(runnable).start());
    await().until(() -> waiting() == 1);

    closed.set(true);
    memory.wakeAll();
    assertThat(waiter.get(10, TimeUnit.SECONDS)).isFalse(); // long before its 20 s
    assertThat(memory.used()).isEqualTo(100);
    assertThat(waiting()).isZero();
  }

  @Test
  void onlyFramesOverSixtyFourKibibytesAreCharged() {
    int header = 4; // the length field; the type byte is part of the frame's length
    assertThat(SendMemory.charge(64 * 1024 + header)).isZero();
    assertThat(SendMemory.charge(64 * 1024 + 1 + header)).isEqualTo(64 * 1024 + 1 + header);
  }

  private CompletableFuture<Boolean> waitFor(long bytes, String name, List<String> order) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            boolean taken = memory.take(bytes, LONG_WAIT, () -> false);
            order.add(name);
            return taken;
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
        },
        runnable -> new Thread(runnable).start());
  }

  private int waiting() {
    return memory.waiting();
  }
}
