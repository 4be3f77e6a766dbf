package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.testing.Msg;
import dev.tether.testing.ServerProcess;
import dev.tether.testing.TestTypes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Many clients against one server in a JVM of its own, every response checked: nothing lost,
 * nothing duplicated, and each connection's requests handled in the order sent (the server says how
 * many requests of the connection it had handled before each one). CI runs 100 connections of 200
 * requests; {@code -Dtether.load=full} runs 1,000 connections of 1,000 requests each. The wall time
 * and the server's peak heap are printed.
 */
@Timeout(value = 20, unit = TimeUnit.MINUTES)
class LoadTest {
  private static final boolean FULL = "full".equals(System.getProperty("tether.load"));
  private static final int CONNECTIONS = FULL ? 1_000 : 100;
  private static final int REQUESTS = FULL ? 1_000 : 200;

  /** Requests each connection keeps in flight: pipelined, as a busy client would. */
  private static final int WINDOW = 8;

  @Test
  void everyRequestOfEveryConnectionIsAnsweredOnceInOrder() throws Exception {
    try (ServerProcess server = ServerProcess.start(FULL ? 1024 : 256, null, null)) {
      long heapAtStart = server.ask("gc");
      List<Connection<Object, Object>> clients = new ArrayList<>();
      ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
      AtomicLong answered = new AtomicLong();
      try {
        for (int c = 0; c < CONNECTIONS; c++) {
          clients.add(Tether.client(TestTypes.TYPES).codecs("test").connect(server.address()));
        }
        long start = System.nanoTime();
        List<CompletableFuture<Void>> done = new ArrayList<>();
        for (int c = 0; c < CONNECTIONS; c++) {
          done.add(new Stream(clients.get(c), c, failures, answered).start());
        }
        CompletableFuture.allOf(done.toArray(CompletableFuture[]::new))
            .get(FULL ? 15 : 3, TimeUnit.MINUTES);
        long wallMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        long peak = server.ask("peak");
        long heapAtEnd = server.ask("gc");
        System.out.printf(
            "load: %,d connections x %,d requests = %,d round trips in %,d ms (%,.0f/s);"
                + " server heap: %,d bytes after GC at start, peak %,d, %,d after GC at end%n",
            CONNECTIONS,
            REQUESTS,
            answered.get(),
            wallMillis,
            answered.get() * 1000.0 / Math.max(1, wallMillis),
            heapAtStart,
            peak,
            heapAtEnd);

        assertThat(failures).as("requests lost, duplicated or out of order").isEmpty();
        assertThat(answered.get()).isEqualTo((long) CONNECTIONS * REQUESTS);
      } finally {
        for (Connection<Object, Object> c : clients) {
          c.closeAsync();
        }
      }
    }
  }

  /**
   * One connection's requests, {@link #WINDOW} in flight: each answer must carry its request's text
   * and number, and say that the server had handled exactly the requests before it.
   */
  private static final class Stream {
    private final Connection<Object, Object> connection;
    private final int id;
    private final ConcurrentLinkedQueue<String> failures;
    private final AtomicLong answered;
    private final AtomicLong next = new AtomicLong();
    private final AtomicLong completed = new AtomicLong();
    private final CompletableFuture<Void> done = new CompletableFuture<>();

    Stream(
        Connection<Object, Object> connection,
        int id,
        ConcurrentLinkedQueue<String> failures,
        AtomicLong answered) {
      this.connection = connection;
      this.id = id;
      this.failures = failures;
      this.answered = answered;
    }

    CompletableFuture<Void> start() {
      for (int i = 0; i < WINDOW; i++) {
        sendNext();
      }
      return done;
    }

    /** Sends the next request; one at a time, so that they leave in the order of their numbers. */
    private synchronized void sendNext() {
      long seq = next.getAndIncrement();
      if (seq >= REQUESTS) {
        return;
      }
      Msg request = new Msg("c" + id, seq);
      connection
          .request(request)
          .whenComplete(
              (answer, failure) -> {
                Msg expected = new Msg("n=" + seq + " c" + id, seq);
                if (failure != null) {
                  failures.add("connection " + id + " request " + seq + " failed: " + failure);
                } else if (!expected.equals(answer)) {
                  failures.add(
                      "connection "
                          + id
                          + " request "
                          + seq
                          + ": expected "
                          + expected
                          + ", got "
                          + answer);
                } else {
                  answered.incrementAndGet();
                }
                if (completed.incrementAndGet() == REQUESTS) {
                  done.complete(null);
                } else {
                  sendNext();
                }
              });
    }
  }
}
