package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Msg;
import dev.tether.testing.RawPeer;
import dev.tether.testing.TestTypes;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A server refuses what it cannot take with a reason instead of spinning or hanging: clients past
 * its connection limit, codecs that cannot start, and failing accepts (out of file descriptors).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ServerLimitsTest {
  @Test
  void aClientPastTheConnectionLimitIsRefusedWithAReasonAndLaterAdmitted() throws Exception {
    try (Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .maxConnections(2)
            .onRequest((c, m) -> m)
            .bind(new InetSocketAddress("127.0.0.1", 0))) {
      Connection<Object, Object> first =
          Tether.client(TestTypes.TYPES).codecs("test").connect(server.address());
      Connection<Object, Object> second =
          Tether.client(TestTypes.TYPES).codecs("test").connect(server.address());

      assertThatThrownBy(
              () -> Tether.client(TestTypes.TYPES).codecs("test").connect(server.address()))
          .isInstanceOfSatisfying(
              HandshakeException.class,
              e -> {
                assertThat(e.code()).isEqualTo(GoAwayCode.INTERNAL_ERROR);
                assertThat(e.reason()).contains("limit of 2 connections");
              });
      assertThat(second.request(new Msg("still served", 1)).get(10, TimeUnit.SECONDS))
          .isEqualTo(new Msg("still served", 1));

      first.close();
      await().atMost(Duration.ofSeconds(10)).until(() -> server.connections().size() == 1);
      try (Connection<Object, Object> third =
          Tether.client(TestTypes.TYPES).codecs("test").connect(server.address())) {
        assertThat(third.request(new Msg("admitted", 3)).get(10, TimeUnit.SECONDS))
            .isEqualTo(new Msg("admitted", 3));
      }
      second.close();
    }
  }

  @Test
  void theConnectionLimitHoldsForClientsConnectingAtOnceWhileTheAuthorizerDecides()
      throws Exception {
    int limit = 5;
    int clients = 40;
    AtomicInteger deciding = new AtomicInteger();
    AtomicInteger mostDecidingAtOnce = new AtomicInteger();
    ExecutorService connecting = Executors.newFixedThreadPool(clients);
    List<Connection<Object, Object>> admitted = new CopyOnWriteArrayList<>();
    List<Throwable> refusals = new CopyOnWriteArrayList<>();
    try (Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .maxConnections(limit)
            .authorizer(
                request -> {
                  // an authorizer that asks a directory: it takes a while, as its Javadoc allows
                  mostDecidingAtOnce.accumulateAndGet(deciding.incrementAndGet(), Math::max);
                  LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(300));
                  deciding.decrementAndGet();
                  return Admission.admit();
                })
            .onRequest((c, m) -> m)
            .bind(new InetSocketAddress("127.0.0.1", 0))) {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<?>> attempts = new ArrayList<>();
      for (int i = 0; i < clients; i++) {
        attempts.add(
            connecting.submit(
                () -> {
                  go.await();
                  try {
                    admitted.add(
                        Tether.client(TestTypes.TYPES).codecs("test").connect(server.address()));
                  } catch (HandshakeException e) {
                    refusals.add(e);
                  }
                  return null;
                }));
      }
      go.countDown();
      for (Future<?> attempt : attempts) {
        attempt.get(30, TimeUnit.SECONDS);
      }

      assertThat(admitted)
          .as("clients admitted by a server with a limit of %d", limit)
          .hasSize(limit);
      assertThat(server.connections()).hasSize(limit);
      assertThat(mostDecidingAtOnce.get())
          .as("most clients being authorized at once")
          .isLessThanOrEqualTo(limit);
      assertThat(refusals)
          .hasSize(clients - limit)
          .allSatisfy(e -> assertThat(e).hasMessageContaining("limit of 5 connections"));
      for (Connection<Object, Object> c : admitted) {
        assertThat(c.request(new Msg("served", 1)).get(10, TimeUnit.SECONDS))
            .isEqualTo(new Msg("served", 1));
        c.close();
      }
    } finally {
      connecting.shutdownNow();
    }
  }

  @Test
  void socketsPastTheLimitThatSayNothingAreNotHeldUntilTheirHandshakeTimeout() throws Exception {
    int limit = 10;
    // past the limit, the server holds 256 more sockets in their handshake, to tell them why
    int held = limit + 256;
    List<Socket> sockets = new ArrayList<>();
    try (Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .codecs("test") // the handshake timeout: the default 10 s
            .maxConnections(limit)
            .onRequest((c, m) -> m)
            .bind(new InetSocketAddress("127.0.0.1", 0))) {
      for (int i = 0; i < held + 200; i++) {
        Socket socket = new Socket();
        socket.connect(server.address(), 5000);
        sockets.add(socket); // says nothing
      }
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> server.metrics().acceptedConnections() >= held);

      long start = System.nanoTime();
      for (Socket socket : sockets.subList(held + 100, held + 200)) {
        socket.setSoTimeout(3000);
        assertThat(socket.getInputStream().read())
            .as("what a socket past the sockets the server holds reads")
            .isEqualTo(-1);
      }
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(3000);

      for (Socket socket : sockets) {
        socket.close();
      }
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> {
                try (Connection<Object, Object> client =
                    Tether.client(TestTypes.TYPES).codecs("test").connect(server.address())) {
                  assertThat(client.request(new Msg("admitted", 1)).get(10, TimeUnit.SECONDS))
                      .isEqualTo(new Msg("admitted", 1));
                }
              });
    } finally {
      for (Socket socket : sockets) {
        socket.close();
      }
    }
  }

  @Test
  void aCodecThatCannotStartIsLeftOutAndAClientOfferingOnlyItIsToldWhy() throws Exception {
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES).bind(new InetSocketAddress("127.0.0.1", 0));
        RawPeer peer = RawPeer.connect(server.address())) {
      peer.writePreambleAndHello(RawPeer.Hello.forTypes(TestTypes.TYPES).codecs("broken"));

      RawPeer.GoAway refusal = peer.readRefusal();
      assertThat(refusal.code()).isEqualTo(GoAwayCode.NO_COMMON_CODEC.code());
      assertThat(refusal.reason()).contains("client offers [broken]").doesNotContain("broken,");
    }
    assertThatThrownBy(
            () ->
                Tether.server(TestTypes.TYPES)
                    .codecs("broken")
                    .bind(new InetSocketAddress("127.0.0.1", 0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("codec 'broken' failed to initialise")
        .hasMessageContaining("org/example/MissingSerializer");
    assertThatThrownBy(
            () ->
                Tether.client(TestTypes.TYPES)
                    .codecs("broken")
                    .connect(new InetSocketAddress("127.0.0.1", 9)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("codec 'broken' failed to initialise");
  }

  @Test
  void failingAcceptsBackOffInsteadOfSpinningAndServingResumes() throws Exception {
    // a server in its own JVM with 64 file descriptors: accepting past them fails with EMFILE
    String java = ProcessHandle.current().info().command().orElse("java");
    String classPath = System.getProperty("java.class.path");
    ProcessBuilder builder =
        new ProcessBuilder(
            "bash",
            "-c",
            "ulimit -n 64 && exec \"$0\" -cp \"$1\" -Xmx256m \"$2\"",
            java,
            classPath,
            LowFdServer.class.getName());
    builder.redirectErrorStream(true);
    builder.environment().put("CLASSPATH", classPath);
    Process process = builder.start();
    List<String> log = new ArrayList<>();
    List<Socket> sockets = new ArrayList<>();
    try {
      BufferedReader out =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      String first = out.readLine();
      while (first != null && !first.startsWith("port ")) {
        first = out.readLine(); // log lines come first
      }
      assertThat(first).as("the server's port line").isNotNull();
      int port = Integer.parseInt(first.substring(5).trim());
      Thread reader =
          new Thread(
              () -> {
                try {
                  for (String line = out.readLine(); line != null; line = out.readLine()) {
                    synchronized (log) {
                      log.add(line);
                    }
                  }
                } catch (java.io.IOException e) {
                  // process ended
                }
              });
      reader.setDaemon(true);
      reader.start();

      for (int i = 0; i < 100; i++) {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        sockets.add(s);
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> count(log, "pausing accepts") >= 1);
      // the old acceptor logged a WARN per attempt in a hot loop: thousands a second
      await()
          .during(Duration.ofMillis(1500))
          .atMost(Duration.ofSeconds(5))
          .until(() -> count(log, "accept on") < 10);

      for (Socket s : sockets) {
        s.close();
      }
      sockets.clear();
      try (Connection<Object, Object> client =
          Tether.client(TestTypes.TYPES)
              .codecs("test")
              .connect(new InetSocketAddress("127.0.0.1", port))) {
        assertThat(client.request(new Msg("back", 1)).get(10, TimeUnit.SECONDS))
            .isEqualTo(new Msg("back", 1));
      }
    } finally {
      for (Socket s : sockets) {
        s.close();
      }
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static long count(List<String> log, String text) {
    synchronized (log) {
      return log.stream().filter(l -> l.contains(text)).count();
    }
  }

  /** The server of the test above, run in a JVM with few file descriptors. */
  public static final class LowFdServer {
    public static void main(String[] args) throws Exception {
      Server<Object, Object> server =
          Tether.server(TestTypes.TYPES)
              .codecs("test")
              .onRequest((c, m) -> m)
              .bind(new InetSocketAddress("127.0.0.1", 0));
      // load every class a connection's life needs now: with no descriptors left, class files
      // cannot be opened either (a jar on a real class path is open already)
      try (Connection<Object, Object> warmUp =
          Tether.client(TestTypes.TYPES).codecs("test").connect(server.address())) {
        warmUp.request(new Msg("warm", 0)).get(10, TimeUnit.SECONDS);
        warmUp.metrics();
      }
      server.metrics();
      System.out.println("port " + ((InetSocketAddress) server.address()).getPort());
      System.out.flush();
      new java.util.concurrent.CountDownLatch(1).await(2, TimeUnit.MINUTES);
    }
  }

  static {
    assertThat(File.separatorChar).isEqualTo('/'); // the limit needs a POSIX shell
  }
}
