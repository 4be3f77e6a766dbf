package dev.tether.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.Connection;
import dev.tether.ConnectionClosedException;
import dev.tether.Server;
import dev.tether.Tether;
import dev.tether.TetherConfig;
import dev.tether.testing.Msg;
import dev.tether.testing.ServerProcess;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A loop held up for longer than the idle timeout (a long GC pause, a stopped process, a suspended
 * virtual machine) does not take its own stillness for the peer's: the frames the peer sent
 * meanwhile wait unread in the socket, and the loop reads them before it judges anyone silent:
 * whether the pause caught the loop between its look at the sockets and its timers, or asleep in a
 * timed select (which, stopped and resumed past its time, answers "nothing" without asking the
 * kernel again).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LoopPauseTest {
  /**
   * A client that PINGs the server as its idle timeout asks, and gives it 20 s itself: long enough
   * that the server's pause does not end the connection from this side.
   */
  private static Connection<Object, Object> pingingClient(SocketAddress server) {
    return Tether.client(TestTypes.TYPES)
        .config(TetherConfig.builder().codecs("test").idleTimeout(Duration.ofSeconds(20)).build())
        .connect(server);
  }

  @Test
  void aLoopHeldUpPastTheIdleTimeoutReadsWhatCameBeforeJudgingThePeerSilent() throws Exception {
    AtomicReference<ConnectionClosedException> serverSideClosed = new AtomicReference<>();
    CompletableFuture<Object> received = new CompletableFuture<>();
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .config(
                    TetherConfig.builder()
                        .codecs("test")
                        .idleTimeout(Duration.ofMillis(1000)) // the client PINGs every ~333 ms
                        .build())
                .onMessage((c, m) -> received.complete(m))
                .onClose((c, cause) -> serverSideClosed.set(cause))
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client = pingingClient(server.address())) {
      await().atMost(Duration.ofSeconds(10)).until(() -> server.connections().size() == 1);
      RealConnection<?, ?> serverSide =
          (RealConnection<?, ?>) server.connections().iterator().next();

      // the server's loop stops between its look at the sockets and its timers, for 2.5 idle
      // timeouts, as a stop-the-world pause would stop it there
      CountDownLatch paused = new CountDownLatch(1);
      serverSide.loop.execute(
          () -> {
            paused.countDown();
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2500);
            while (System.nanoTime() - until < 0) {
              Thread.onSpinWait(); // a held-up thread, not a waiting one
            }
          });
      assertThat(paused.await(5, TimeUnit.SECONDS)).isTrue();
      client.send(new Msg("sent during the pause", 1));

      assertThat(received.get(10, TimeUnit.SECONDS)).isEqualTo(new Msg("sent during the pause", 1));
      // two more idle timeouts: the client's PINGs keep the connection up
      await()
          .during(Duration.ofMillis(2000))
          .atMost(Duration.ofSeconds(5))
          .until(() -> client.isOpen() && serverSideClosed.get() == null);
    }
  }

  @Test
  void aServerProcessStoppedPastTheIdleTimeoutKeepsAClientThatKeptPinging() throws Exception {
    try (ServerProcess server = ServerProcess.start(128, null, Duration.ofMillis(1000));
        Connection<Object, Object> client = pingingClient(server.address())) {
      assertThat(client.request(new Msg("before", 0)).get(10, TimeUnit.SECONDS))
          .isEqualTo(new Msg("n=0 before", 0));

      // an idle server loop sleeps in a timed select: stopped there, it wakes past its timers' time
      server.signal("STOP");
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2500)); // the length of the stop
      server.signal("CONT");

      assertThat(client.request(new Msg("after", 1)).get(10, TimeUnit.SECONDS))
          .isEqualTo(new Msg("n=1 after", 1));
      await()
          .during(Duration.ofMillis(2000))
          .atMost(Duration.ofSeconds(5))
          .until(() -> client.isOpen() && server.ask("connections") == 1);
    }
  }
}
