package dev.tether.examples;

import dev.tether.Connection;
import dev.tether.HandshakeException;
import dev.tether.MessageTypes;
import dev.tether.RequestFailedException;
import dev.tether.Server;
import dev.tether.Tether;
import dev.tether.TetherConfig;
import dev.tether.TetherTimeoutException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The {@code rpc} example: a key-value service whose server has one handler per message type, and a
 * client whose requests know their response type at compile time — no {@code instanceof}, no casts.
 * It makes many requests at once, one that times out, one that the server fails on purpose, and
 * then shows what a client with an older schema is told.
 */
final class Rpc {
  static final Set<String> FLAGS = Set.of("requests", "concurrency", "codecs");

  /** Everything the service carries; a sealed interface says so to the compiler too. */
  sealed interface Kv permits Put, Get, Slow, Value {}

  /** Stores a value; sent one-way. */
  record Put(String key, String value) implements Kv {}

  /** Asks for a value; answered with {@link Value}, or fails if the key is missing. */
  record Get(String key) implements Kv {}

  /** Asks for a value slowly: the server waits {@code millis} before answering. */
  record Slow(String key, int millis) implements Kv {}

  /** The answer to {@link Get} and {@link Slow}. */
  record Value(String key, String value) implements Kv {}

  /** Both sides build this; explicit names keep the schema independent of Java class names. */
  static final MessageTypes TYPES =
      MessageTypes.builder("kv")
          .register(1, "kv.Put", Put.class)
          .register(2, "kv.Get", Get.class)
          .register(3, "kv.Value", Value.class)
          .register(4, "kv.Slow", Slow.class)
          .build();

  /** What an older client was built with: no Slow, and Value under its former name. */
  static final MessageTypes OLDER_TYPES =
      MessageTypes.builder("kv")
          .register(1, "kv.Put", Put.class)
          .register(2, "kv.Get", Get.class)
          .register(3, "kv.Result", Value.class)
          .build();

  private static final Duration STEP_TIMEOUT = Duration.ofSeconds(10);

  private Rpc() {}

  /** Starts the service: a handler per message type, each typed. */
  static Server<Kv, Kv> serve(Map<String, String> store, List<String> codecs) {
    return Tether.<Kv, Kv>server(TYPES)
        .codecs(codecs.toArray(String[]::new))
        .onMessage(Put.class, (connection, put) -> store.put(put.key(), put.value()))
        .onRequest(Get.class, (connection, get) -> new Value(get.key(), lookUp(store, get.key())))
        .onRequest(
            Slow.class,
            (connection, slow) -> {
              // a handler may block: its event loop goes on in a new thread, and this
              // connection's handlers move to the handler pool for a while
              Thread.sleep(slow.millis());
              return new Value(slow.key(), lookUp(store, slow.key()));
            })
        .bind(new InetSocketAddress("127.0.0.1", 0));
  }

  private static String lookUp(Map<String, String> store, String key) {
    String value = store.get(key);
    if (value == null) {
      throw new NoSuchElementException("no key '" + key + "'"); // the client sees this message
    }
    return value;
  }

  static int run(Args args, PrintStream out, PrintStream err) throws InterruptedException {
    int requests = args.integer("requests", 2000, 1, 10_000_000);
    int concurrency = args.integer("concurrency", 16, 1, 10_000);
    List<String> codecs = Main.codecs(args, TYPES);
    Map<String, String> store = new ConcurrentHashMap<>();
    try (Server<Kv, Kv> server = serve(store, codecs);
        Connection<Kv, Kv> client =
            Tether.<Kv, Kv>client(TYPES)
                .codecs(codecs.toArray(String[]::new))
                .connect(server.address())) {
      out.println(
          "connected to the kv service at "
              + EchoServer.hostPort(server.address())
              + ", codec "
              + client.peer().codec());
      int keys = Math.min(requests, 1000);
      for (int i = 0; i < keys; i++) {
        client.send(new Put("k" + i, "v" + i));
      }
      out.println("put      " + keys + " keys (one-way messages, routed to the Put handler)");
      manyRequests(client, requests, keys, concurrency, out);
      failingRequest(client, out);
      timedOutRequest(client, out);
      olderSchema(server, codecs, out);
    }
    return 0;
  }

  /** {@code requests} typed Gets, at most {@code concurrency} in flight; checks every answer. */
  private static void manyRequests(
      Connection<Kv, Kv> client, int requests, int keys, int concurrency, PrintStream out)
      throws InterruptedException {
    Semaphore inFlight = new Semaphore(concurrency);
    long[] nanos = new long[requests];
    CompletableFuture<?>[] answers = new CompletableFuture<?>[requests];
    long start = System.nanoTime();
    for (int i = 0; i < requests; i++) {
      inFlight.acquire();
      String key = "k" + (i % keys);
      int n = i;
      long sent = System.nanoTime();
      CompletableFuture<Value> answer = client.request(new Get(key), Value.class);
      answers[i] =
          answer.whenComplete(
              (value, failure) -> {
                nanos[n] = System.nanoTime() - sent;
                inFlight.release();
                if (failure == null && !value.value().equals("v" + key.substring(1))) {
                  throw new IllegalStateException("wrong value for " + key + ": " + value);
                }
              });
    }
    CompletableFuture.allOf(answers).join(); // throws if any request failed or was wrong
    double seconds = (System.nanoTime() - start) / 1e9;
    Arrays.sort(nanos);
    out.printf(
        "get      %d typed requests, %d in flight: all answered correctly in %.0f ms"
            + " (%.0f requests/s), round trip p50 %.2f ms, p99 %.2f ms%n",
        requests,
        concurrency,
        seconds * 1000,
        requests / seconds,
        nanos[requests / 2] / 1e6,
        nanos[Math.min(requests - 1, (int) (requests * 0.99))] / 1e6);
  }

  /** A Get of a missing key: the server's handler throws, the request fails, nothing else does. */
  private static void failingRequest(Connection<Kv, Kv> client, PrintStream out) {
    try {
      client.request(new Get("missing"), Value.class).join();
      throw new IllegalStateException("a Get of a missing key was answered");
    } catch (CompletionException e) {
      if (!(e.getCause() instanceof RequestFailedException failed)) {
        throw e;
      }
      out.println("failing  Get(missing) -> " + failed.getMessage());
    }
  }

  /** A request that takes longer than its timeout; the connection stays up. */
  private static void timedOutRequest(Connection<Kv, Kv> client, PrintStream out) {
    Duration timeout = Duration.ofMillis(100);
    try {
      client.request(new Slow("k1", 1000), Value.class, timeout).join();
      throw new IllegalStateException("a request outlived its timeout");
    } catch (CompletionException e) {
      if (!(e.getCause() instanceof TetherTimeoutException timedOut)) {
        throw e;
      }
      out.println("timeout  Slow(k1, 1000 ms) with a 100 ms timeout -> " + timedOut.getMessage());
    }
    Value after =
        client
            .request(new Get("k1"), Value.class)
            .orTimeout(STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
            .join();
    out.println("         the connection stays up: Get(k1) -> " + after);
  }

  /** A client built from an older schema is refused at connect time, told what differs. */
  private static void olderSchema(Server<Kv, Kv> server, List<String> codecs, PrintStream out) {
    try (Connection<Kv, Kv> older =
        Tether.<Kv, Kv>client(OLDER_TYPES)
            .config(TetherConfig.builder().codecs(codecs).build())
            .connect(server.address())) {
      throw new IllegalStateException("a client with another schema was accepted: " + older);
    } catch (HandshakeException e) {
      out.println("schema   a client with an older schema is refused: " + e.getMessage());
    }
  }
}
