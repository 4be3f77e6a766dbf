package dev.tether.bench.twojvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class GateTest {
  @Test
  void closingStopsEverySenderAndOpeningLetsThemGoOn() throws Exception {
    Gate gate = new Gate(2);
    AtomicLong[] counts = {new AtomicLong(), new AtomicLong()};
    Thread[] senders = new Thread[2];
    for (int i = 0; i < 2; i++) {
      AtomicLong count = counts[i];
      senders[i] =
          new Thread(
              () -> {
                try {
                  while (!Thread.currentThread().isInterrupted()) {
                    count.incrementAndGet();
                    gate.pass();
                  }
                } catch (InterruptedException e) {
                  // stopped
                }
              });
      senders[i].start();
    }
    try {
      await().until(() -> counts[0].get() > 100 && counts[1].get() > 100);
      gate.close("test senders");
      assertThat(gate.isOpen()).isFalse();
      long a = counts[0].get();
      long b = counts[1].get();
      // both wait at the gate once close returns: nothing moves until it opens
      for (int i = 0; i < 5; i++) {
        Thread.onSpinWait();
        assertThat(counts[0].get()).isEqualTo(a);
        assertThat(counts[1].get()).isEqualTo(b);
      }
      gate.open();
      await().until(() -> counts[0].get() > a + 100 && counts[1].get() > b + 100);
    } finally {
      gate.release();
      for (Thread t : senders) {
        t.interrupt();
        t.join(5_000);
      }
    }
  }

  @Test
  void releasingTheGateEndsAWaitingClose() throws Exception {
    Gate gate = new Gate(1); // its one sender never comes to the gate
    Thread closer =
        new Thread(
            () -> {
              try {
                gate.close("a stream that stopped for good");
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    closer.start();
    await().atMost(Duration.ofSeconds(5)).until(() -> !gate.isOpen());
    gate.release(); // what stop does, so that stopping never waits the 30 s out
    closer.join(5_000);
    assertThat(closer.isAlive()).isFalse();
    assertThat(gate.isOpen()).isTrue();
  }

  @Test
  void anInterruptedCloseSaysSo() {
    Gate gate = new Gate(1);
    Thread.currentThread().interrupt();
    assertThatThrownBy(() -> gate.close("interrupted")).isInstanceOf(InterruptedException.class);
  }
}
