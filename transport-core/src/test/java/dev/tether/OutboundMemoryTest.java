package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Msg;
import dev.tether.testing.RawPeer;
import dev.tether.testing.Resources;
import dev.tether.testing.TestTypes;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The memory a runtime's connections together hold for the small frames they queue to send: past a
 * small allowance each, a connection's queue draws on the runtime's send memory ({@link
 * TetherRuntime.Builder#largeMessageSendMemory}), so that a server broadcasting to many peers that
 * stopped reading refuses sends, naming the cause, instead of running out of memory.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class OutboundMemoryTest {
  private static final int KIB = 1024;
  private static final int MIB = 1024 * KIB;

  private final Resources resources = new Resources();

  @AfterEach
  void close() {
    resources.close();
  }

  @Test
  void aServerOnASmallHeapBroadcastingToPeersThatStoppedReadingRefusesSendsInsteadOfRunningOut()
      throws Exception {
    // 40 peers that read nothing, each bound alone at 4 MiB: 160 MiB of queues asked of a 96 MiB
    // heap, whose send memory (an eighth) bounds them together, past 128 KiB each
    int peers = 40;
    ProcessBuilder builder =
        new ProcessBuilder(
            ProcessHandle.current().info().command().orElse("java"),
            "-Xmx96m",
            "-XX:+UseG1GC",
            "-cp",
            System.getProperty("java.class.path"),
            BroadcastServer.class.getName());
    builder.redirectError(ProcessBuilder.Redirect.INHERIT);
    Process process = builder.start();
    resources.track(process::destroyForcibly);
    BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    PrintStream in = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
    LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread reader =
        new Thread(
            () -> {
              try {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                  lines.add(line);
                }
              } catch (java.io.IOException e) {
                // the process ended
              }
              lines.add("end");
            });
    reader.setDaemon(true);
    reader.start();
    String first = lines.poll(30, TimeUnit.SECONDS);
    assertThat(first).as("the server's first line").startsWith("port ");
    InetSocketAddress address =
        new InetSocketAddress("127.0.0.1", Integer.parseInt(first.substring(5).trim()));

    for (int i = 0; i < peers; i++) {
      RawPeer peer = RawPeer.connect(address, 8192);
      resources.track(peer);
      peer.handshake(RawPeer.Hello.forTypes(TestTypes.TYPES).codecs("test"));
    }
    in.println("blast " + peers);
    String blasted = lines.poll(60, TimeUnit.SECONDS);
    assertThat(blasted).as("what the broadcast came to").isNotNull().startsWith("refused ");
    String trySendWhy = lines.poll(10, TimeUnit.SECONDS);
    String sendAsyncWhy = lines.poll(10, TimeUnit.SECONDS);
    String sendWhy = lines.poll(10, TimeUnit.SECONDS);
    assertThat(sendAsyncWhy).startsWith("sendAsync ").contains("largeMessageSendMemory");
    assertThat(sendWhy).startsWith("send ").contains("largeMessageSendMemory");
    long heap = Long.parseLong(blasted.split(" ")[3]);
    assertThat(heap).as("heap held after the broadcast, " + blasted).isLessThan(64L * MIB);
    assertThat(trySendWhy).isEqualTo("writable false");

    // a peer that reads is still served: it is answered, and sent to
    CompletableFuture<Object> greeting = new CompletableFuture<>();
    Connection<Object, Object> good =
        Tether.client(TestTypes.TYPES)
            .config(TestTypes.QUIET)
            .onMessage((c, m) -> greeting.complete(m))
            .connect(address);
    resources.track(good);
    Msg answer = (Msg) good.request(new Msg("hello", 7)).get(20, TimeUnit.SECONDS);
    assertThat(answer.text()).isEqualTo("hello");
    in.println("greet");
    assertThat(lines.poll(20, TimeUnit.SECONDS)).isEqualTo("greeted 1");
    assertThat(((Msg) greeting.get(20, TimeUnit.SECONDS)).text()).isEqualTo("greetings");
    assertThat(process.isAlive()).as("the server's JVM").isTrue();
  }

  @Test
  void aPeerThatReadsIsStillSentToWhileOthersThatDoNotHoldTheMemoryAndSendersWaitForMore()
      throws Exception {
    TetherRuntime runtime =
        TetherRuntime.builder().eventLoops(2).largeMessageSendMemory(MIB).build();
    resources.track(runtime);
    Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .config(
                TetherConfig.builder()
                    .codecs("test")
                    .heartbeatInterval(Duration.ZERO)
                    .idleTimeout(Duration.ZERO)
                    .sendTimeout(Duration.ofSeconds(20))
                    .build())
            .runtime(runtime)
            .bind(new InetSocketAddress("127.0.0.1", 0));
    resources.track(server);
    for (int i = 0; i < 8; i++) {
      RawPeer peer = RawPeer.connect(server.address(), 8192);
      resources.track(peer);
      peer.handshake(RawPeer.Hello.forTypes(TestTypes.TYPES).codecs("test"));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> server.connections().size() == 8);
    List<Connection<Object, Object>> silent = new ArrayList<>(server.connections());
    String text = "s".repeat(16 * KIB);
    boolean any = true;
    for (int round = 0; any && round < 10_000; round++) {
      any = false;
      for (Connection<Object, Object> c : silent) {
        any |= c.trySend(new Msg(text, round)) == SendResult.ACCEPTED;
      }
    }
    assertThat(runtime.largeMessageSendMemoryInUse()).isGreaterThanOrEqualTo(MIB);
    assertThat(silent).noneMatch(Connection::isWritable);
    // and a sender for each waits for more, first in line for whatever is given back
    List<Thread> waiting = new ArrayList<>();
    for (Connection<Object, Object> c : silent) {
      Thread sender =
          new Thread(
              () -> {
                try {
                  while (true) {
                    c.send(new Msg(text, -1));
                  }
                } catch (RuntimeException e) {
                  // closed at the end of the test, or timed out
                }
              });
      sender.setDaemon(true);
      sender.start();
      waiting.add(sender);
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> waiting.stream().allMatch(t -> t.getState() == Thread.State.TIMED_WAITING));

    // 8 MiB to a peer that reads, eight times the memory: it goes through the allowance
    int messages = 512;
    CountDownLatch all = new CountDownLatch(messages);
    List<Long> order = new ArrayList<>();
    Connection<Object, Object> good =
        Tether.client(TestTypes.TYPES)
            .config(TestTypes.QUIET)
            .onMessage(
                (c, m) -> {
                  synchronized (order) {
                    order.add(((Msg) m).seq());
                  }
                  all.countDown();
                })
            .connect(server.address());
    resources.track(good);
    await().atMost(Duration.ofSeconds(10)).until(() -> server.connections().size() == 9);
    Connection<Object, Object> toGood =
        server.connections().stream().filter(c -> !silent.contains(c)).findFirst().orElseThrow();
    for (int i = 0; i < messages; i++) {
      toGood.send(new Msg(text, i));
    }
    assertThat(all.await(30, TimeUnit.SECONDS)).as("all messages arrived").isTrue();
    synchronized (order) {
      assertThat(order).hasSize(messages).isSorted();
    }
    assertThat(runtime.largeMessageSendMemoryInUse()).isGreaterThanOrEqualTo(MIB);
  }

  @Test
  void whatAConnectionHeldPastItsAllowanceIsGivenBackWhenItEnds() throws Exception {
    TetherRuntime runtime =
        TetherRuntime.builder().eventLoops(2).largeMessageSendMemory(64L * MIB).build();
    resources.track(runtime);
    Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .config(
                TetherConfig.builder()
                    .codecs("test")
                    .heartbeatInterval(Duration.ZERO)
                    .idleTimeout(Duration.ZERO)
                    .drainTimeout(Duration.ofMillis(300))
                    .build())
            .runtime(runtime)
            .bind(new InetSocketAddress("127.0.0.1", 0));
    resources.track(server);
    String text = "e".repeat(16 * KIB);
    // a peer that resets, and one closed gracefully by the server, whose drain deadline passes
    for (boolean reset : new boolean[] {true, false}) {
      RawPeer peer = RawPeer.connect(server.address(), 8192);
      resources.track(peer);
      peer.handshake(RawPeer.Hello.forTypes(TestTypes.TYPES).codecs("test"));
      await().atMost(Duration.ofSeconds(10)).until(() -> server.connections().size() == 1);
      Connection<Object, Object> connection = server.connections().iterator().next();
      for (int i = 0; connection.trySend(new Msg(text, i)) == SendResult.ACCEPTED; i++) {
        // until its queue is full
      }
      assertThat(runtime.largeMessageSendMemoryInUse())
          .as("past its allowance")
          .isGreaterThan(3L * MIB);
      if (reset) {
        peer.resetAbruptly();
      } else {
        connection.closeAsync();
      }
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(runtime.largeMessageSendMemoryInUse()).isZero());
      await().atMost(Duration.ofSeconds(10)).until(() -> server.connections().isEmpty());
    }
  }

  @Test
  void aHandlerOnTheLoopThatWaitsForMemoryHandsTheLoopOnAndIsToldWhyItTimedOut() throws Exception {
    TetherRuntime runtime =
        TetherRuntime.builder().eventLoops(1).largeMessageSendMemory(256 * KIB).build();
    resources.track(runtime);
    List<Connection<Object, Object>> silent = new ArrayList<>();
    CompletableFuture<Throwable> handlerSaw = new CompletableFuture<>();
    String text = "h".repeat(16 * KIB);
    Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .config(
                TetherConfig.builder()
                    .codecs("test")
                    .heartbeatInterval(Duration.ZERO)
                    .idleTimeout(Duration.ZERO)
                    .build()) // handlers on the loop until one blocks
            .runtime(runtime)
            .onRequest((c, request) -> request)
            .onMessage(
                (c, message) -> {
                  try {
                    silent.get(0).send(new Msg(text, -1), Duration.ofSeconds(4));
                    handlerSaw.complete(null);
                  } catch (RuntimeException e) {
                    handlerSaw.complete(e);
                  }
                })
            .bind(new InetSocketAddress("127.0.0.1", 0));
    resources.track(server);
    for (int i = 0; i < 4; i++) {
      RawPeer peer = RawPeer.connect(server.address(), 8192);
      resources.track(peer);
      peer.handshake(RawPeer.Hello.forTypes(TestTypes.TYPES).codecs("test"));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> server.connections().size() == 4);
    silent.addAll(server.connections());
    boolean any = true;
    for (int round = 0; any && round < 10_000; round++) {
      any = false;
      for (Connection<Object, Object> c : silent) {
        any |= c.trySend(new Msg(text, round)) == SendResult.ACCEPTED;
      }
    }
    assertThat(silent.get(0).isWritable()).isFalse();

    Connection<Object, Object> sender =
        Tether.client(TestTypes.TYPES).config(TestTypes.QUIET).connect(server.address());
    resources.track(sender);
    Connection<Object, Object> asker =
        Tether.client(TestTypes.TYPES).config(TestTypes.QUIET).connect(server.address());
    resources.track(asker);
    sender.send(new Msg("broadcast", 1));
    // while that handler waits, the one loop goes on serving the others
    Msg answer = (Msg) asker.request(new Msg("still here", 2)).get(10, TimeUnit.SECONDS);
    assertThat(answer.text()).isEqualTo("still here");
    assertThat(handlerSaw).as("the handler still waits").isNotDone();
    assertThat(handlerSaw.get(10, TimeUnit.SECONDS))
        .isInstanceOf(TetherTimeoutException.class)
        .hasMessageContaining("timed out after 4000 ms")
        .hasMessageContaining("largeMessageSendMemory");
  }

  /** The server program: broadcasts on command, and reports how it went on standard output. */
  public static final class BroadcastServer {
    private BroadcastServer() {}

    public static void main(String[] args) throws Exception {
      Server<Object, Object> server =
          Tether.server(TestTypes.TYPES)
              .config(
                  TetherConfig.builder()
                      .codecs("test")
                      .heartbeatInterval(Duration.ZERO)
                      .idleTimeout(Duration.ZERO)
                      .sendTimeout(Duration.ofMillis(500))
                      .build())
              .onRequest((connection, request) -> request)
              .bind(new InetSocketAddress("127.0.0.1", 0));
      System.out.println("port " + ((InetSocketAddress) server.address()).getPort());
      BufferedReader commands =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      List<Connection<Object, Object>> silent = new ArrayList<>();
      for (String line = commands.readLine(); line != null; line = commands.readLine()) {
        if (line.startsWith("blast ")) {
          int count = Integer.parseInt(line.substring(6).trim());
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
          while (server.connections().size() < count && System.nanoTime() < deadline) {
            Thread.onSpinWait();
          }
          silent.addAll(server.connections());
          try {
            blast(silent);
          } catch (OutOfMemoryError e) {
            silent.clear();
            System.out.println("oom " + e);
          }
        } else if (line.equals("greet")) {
          int accepted = 0;
          for (Connection<Object, Object> c : server.connections()) {
            if (!silent.contains(c) && c.trySend(new Msg("greetings", 1)) == SendResult.ACCEPTED) {
              accepted++;
            }
          }
          System.out.println("greeted " + accepted);
        }
      }
      System.exit(0);
    }

    private static void blast(List<Connection<Object, Object>> to) throws InterruptedException {
      String text = "x".repeat(32 * KIB);
      long accepted = 0;
      for (int round = 0; round < 1000; round++) {
        long before = accepted;
        for (Connection<Object, Object> c : to) {
          if (c.trySend(new Msg(text, round)) == SendResult.ACCEPTED) {
            accepted++;
          }
        }
        if (accepted == before) {
          break;
        }
      }
      Connection<Object, Object> last = to.get(to.size() - 1);
      System.gc();
      Runtime rt = Runtime.getRuntime();
      System.out.println(
          "refused after " + accepted + " " + (rt.totalMemory() - rt.freeMemory()) + " heap");
      System.out.println("writable " + last.isWritable());
      String asyncWhy;
      try {
        to.get(0).sendAsync(new Msg(text, -1)).toCompletableFuture().get(2, TimeUnit.SECONDS);
        asyncWhy = "sendAsync accepted";
      } catch (ExecutionException e) {
        asyncWhy = "sendAsync " + e.getCause().getMessage();
      } catch (TimeoutException e) {
        asyncWhy = "sendAsync still waits for room";
      }
      System.out.println(asyncWhy.replace('\n', ' '));
      String sendWhy;
      try {
        to.get(1).send(new Msg(text, -1));
        sendWhy = "send accepted";
      } catch (RuntimeException e) {
        sendWhy = "send " + e.getMessage();
      }
      System.out.println(sendWhy.replace('\n', ' '));
    }
  }
}
