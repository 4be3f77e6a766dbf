package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Msg;
import dev.tether.testing.TestTypes;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link TetherRuntime.Builder#pollBeforeSleep}: loops that poll a while after serving a socket
 * deliver the same as loops that sleep at once, and stop polling once the traffic stops.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LoopPollTest {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  @Test
  void aPollOutsideZeroToTenMillisecondsIsRefused() {
    assertThatThrownBy(() -> TetherRuntime.builder().pollBeforeSleep(Duration.ofNanos(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("pollBeforeSleep must be 0 to 10 ms");
    assertThatThrownBy(() -> TetherRuntime.builder().pollBeforeSleep(Duration.ofMillis(11)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("pollBeforeSleep must be 0 to 10 ms");
  }

  @ParameterizedTest
  @ValueSource(longs = {0, 50, 10_000})
  void requestsAndStreamsArriveWhateverTheLoopsPoll(long pollMicros) throws Exception {
    String prefix = "poll-" + pollMicros;
    AtomicLong received = new AtomicLong();
    try (TetherRuntime runtime =
            TetherRuntime.builder()
                .eventLoops(2)
                .threadNamePrefix(prefix)
                .pollBeforeSleep(Duration.ofNanos(TimeUnit.MICROSECONDS.toNanos(pollMicros)))
                .build();
        Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .runtime(runtime)
                .codecs("test")
                .onMessage((c, m) -> received.incrementAndGet())
                .onRequest((c, m) -> m)
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES)
                .runtime(runtime)
                .codecs("test")
                .connect(server.address())) {
      for (int i = 0; i < 2_000; i++) {
        Msg request = new Msg("request", i);
        assertThat(client.request(request).get(10, TimeUnit.SECONDS)).isEqualTo(request);
      }
      for (int i = 0; i < 20_000; i++) {
        client.send(new Msg("stream", i));
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> received.get() == 20_000);

      // with nothing to serve, loops sleep again: a loop that kept polling would use most of the
      // second below; the heartbeat (every 2 s) is the only traffic left
      long before = loopCpuNanos(prefix);
      LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1));
      long used = loopCpuNanos(prefix) - before;
      assertThat(TimeUnit.NANOSECONDS.toMillis(used))
          .as("CPU milliseconds the two loops used in an idle second")
          .isLessThan(200);
    }
  }

  @Test
  void aRuntimeClosedWhileItsLoopsPollStopsThemAll() throws Exception {
    // a loop polls for 10 ms after serving its sockets: a close right after the connections' close
    // finds it polling, and its wake-up must not be taken by the poll and forgotten (the loop then
    // slept in its selector for good, with no timer left to wake it, and close() gave up on it
    // after 5 s)
    for (int round = 0; round < 5; round++) {
      String prefix = "closed-while-polling-" + round;
      TetherRuntime runtime =
          TetherRuntime.builder()
              .eventLoops(2)
              .threadNamePrefix(prefix)
              .pollBeforeSleep(Duration.ofMillis(10))
              .build();
      try (runtime;
          Server<Object, Object> server =
              Tether.server(TestTypes.TYPES)
                  .runtime(runtime)
                  .codecs("test")
                  .onRequest((c, m) -> m)
                  .bind(new InetSocketAddress("127.0.0.1", 0));
          Connection<Object, Object> client =
              Tether.client(TestTypes.TYPES)
                  .runtime(runtime)
                  .codecs("test")
                  .connect(server.address())) {
        Msg request = new Msg("request", round);
        assertThat(client.request(request).get(10, TimeUnit.SECONDS)).isEqualTo(request);
        client.close();
        server.close(); // the loops serve these closes, then poll with no timer left to wake them
        runtime.close();
        // each loop counts itself stopped in its last steps: give the threads those to end
        await()
            .atMost(Duration.ofSeconds(10))
            .untilAsserted(
                () -> assertThat(loopThreads(prefix)).as("loop threads after close()").isEmpty());
      }
    }
  }

  private static List<String> loopThreads(String prefix) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().startsWith(prefix + "-loop-"))
        .map(Thread::getName)
        .toList();
  }

  private static long loopCpuNanos(String prefix) {
    long sum = 0;
    for (ThreadInfo info : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
      if (info != null && info.getThreadName().startsWith(prefix + "-loop-")) {
        long cpu = THREADS.getThreadCpuTime(info.getThreadId());
        sum += Math.max(0, cpu);
      }
    }
    return sum;
  }
}
