package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.testing.LoopStacks;
import dev.tether.testing.Msg;
import dev.tether.testing.ServerProcess;
import dev.tether.testing.TestTypes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A peer process that dies or freezes: killed with {@code SIGKILL}, its kernel closes the socket
 * and the connection ends at once; stopped with {@code SIGSTOP}, it stays silent and the idle
 * timeout (6 s by default, with a PING every 2 s) ends the connection. Either way every request
 * still outstanding fails at that moment with a cause that says which. The connections here are
 * plain ones; a resumable session (a client built with {@code reconnect}) would instead keep its
 * requests and wait for a new socket (PROTOCOL.md §13).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PeerCrashTest {
  private static final int OUTSTANDING = 5;

  @Test
  void aPeerKilledWithSigkillIsDetectedAtOnceAndOutstandingRequestsFailSayingSo() throws Exception {
    try (ServerProcess server = ServerProcess.start(128, null, null);
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES).codecs("test").connect(server.address())) {
      List<CompletableFuture<Object>> outstanding = outstanding(client);

      long killed = System.nanoTime();
      server.process().destroyForcibly(); // SIGKILL on Linux
      long failedMillis = millisUntilFailed(outstanding.get(0), killed, 10);
      ConnectionClosedException cause =
          client.onClose().toCompletableFuture().get(10, TimeUnit.SECONDS);
      long closedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
      System.out.printf(
          "SIGKILL: requests failed after %d ms, connection closed after %d ms: %s%n",
          failedMillis, closedMillis, cause.reason());

      assertThat(failedMillis).as("ms from SIGKILL to the requests failing").isLessThan(1_000);
      assertThat(closedMillis).as("ms from SIGKILL to the close").isLessThan(1_000);
      // the kernel of a killed process ends its sockets with FIN, or with RST if it had unread
      // bytes: end of stream or a reset, each said in the reason
      String why = cause.reason().contains("reset") ? "reset" : "closed the connection without";
      assertThat(cause.reason()).containsAnyOf("Connection reset", "without GOAWAY");
      assertThat(cause.isGraceful()).isFalse();
      assertThat(cause.rawCode()).isEqualTo(-1);
      assertThat(cause.getMessage()).startsWith("connection closed by peer (no GOAWAY): ");
      for (CompletableFuture<Object> request : outstanding) {
        assertFailedWith(request, why);
      }
    }
  }

  @Test
  void aPeerFrozenWithSigstopIsDetectedWithinTheIdleTimeoutAndOutstandingRequestsFailSayingSo()
      throws Exception {
    try (ServerProcess server = ServerProcess.start(128, null, null);
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES).codecs("test").connect(server.address())) {
      Duration idle = TetherConfig.defaults().idleTimeout();
      List<CompletableFuture<Object>> outstanding = outstanding(client);

      long stopped = System.nanoTime();
      server.signal("STOP"); // resumed and killed by close(), whatever happens here
      long failedMillis = millisUntilFailed(outstanding.get(0), stopped, idle.toSeconds() + 10);
      // a peer silent for the idle timeout is not waited for again: no drain deadline after it
      ConnectionClosedException cause =
          client.onClose().toCompletableFuture().get(idle.toSeconds() + 20, TimeUnit.SECONDS);
      long closedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopped);
      System.out.printf(
          "SIGSTOP: requests failed after %d ms, connection closed after %d ms: %s%n",
          failedMillis, closedMillis, cause.reason());

      // the last frame from the peer came up to a heartbeat (2 s) before the stop
      assertThat(failedMillis)
          .as("ms from SIGSTOP to the requests failing")
          .isBetween(idle.toMillis() - 2_500, idle.toMillis() + 1_000);
      assertThat(closedMillis - failedMillis)
          .as("ms from the requests failing to the connection's close")
          .isLessThan(1_000);
      assertThat(cause.code()).isEqualTo(GoAwayCode.IDLE_TIMEOUT);
      assertThat(cause.reason()).contains("no frame received from");
      for (CompletableFuture<Object> request : outstanding) {
        assertFailedWith(request, "no frame received from");
      }
    }
  }

  /** Requests the server is still working on or has not started: it sleeps on the first. */
  private static List<CompletableFuture<Object>> outstanding(Connection<Object, Object> client)
      throws Exception {
    assertThat(client.request(new Msg("warm", 0)).get(10, TimeUnit.SECONDS))
        .isEqualTo(new Msg("n=0 warm", 0));
    List<CompletableFuture<Object>> requests = new ArrayList<>();
    for (int i = 0; i < OUTSTANDING; i++) {
      requests.add(client.request(new Msg("sleep:60000", i), Duration.ofMinutes(2)));
    }
    return requests;
  }

  /** Waits for {@code request} to fail and returns the ms since {@code sinceNanos}. */
  private static long millisUntilFailed(
      CompletableFuture<Object> request, long sinceNanos, long maxSeconds) throws Exception {
    try {
      request.handle((v, e) -> null).get(maxSeconds, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError(
          "the request did not fail within "
              + maxSeconds
              + " s; the loops then:"
              + LoopStacks.describe(),
          e);
    }
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sinceNanos);
  }

  private static void assertFailedWith(CompletableFuture<Object> request, String why)
      throws InterruptedException {
    assertThat(request).isCompletedExceptionally();
    try {
      request.get();
    } catch (ExecutionException e) {
      assertThat(e.getCause())
          .isInstanceOf(ConnectionClosedException.class)
          .hasMessageContaining(why);
    }
  }
}
