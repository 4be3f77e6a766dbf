package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Blob;
import dev.tether.testing.Msg;
import dev.tether.testing.TestCodecProvider;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Connection#sendAll} sends what {@code send} would one message at a time, in the same
 * order, and when it stops early it says how far it got: the messages before the failure go out,
 * none after it does.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SendAllTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private final List<AutoCloseable> resources = new ArrayList<>();
  private final List<Long> received = new ArrayList<>();

  @AfterEach
  void closeResources() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      try {
        resources.get(i).close();
      } catch (Exception e) {
        // a test may leave a connection that cannot close gracefully; that is not what it checks
      }
    }
  }

  private <T extends AutoCloseable> T track(T resource) {
    resources.add(resource);
    return resource;
  }

  private Server<Object, Object> recordingServer(TetherConfig config) {
    return server(config, (c, m) -> record(m));
  }

  private Server<Object, Object> server(
      TetherConfig config, MessageHandler<Object, Object> handler) {
    return track(
        Tether.server(TestTypes.TYPES)
            .config(config)
            .onMessage(handler)
            .bind(new InetSocketAddress("127.0.0.1", 0)));
  }

  private Connection<Object, Object> client(Server<Object, Object> server, TetherConfig config) {
    return track(Tether.client(TestTypes.TYPES).config(config).connect(server.address()));
  }

  private void record(Object message) {
    long seq = message instanceof Msg msg ? msg.seq() : ((Blob) message).seq();
    synchronized (received) {
      received.add(seq);
    }
  }

  private List<Long> received() {
    synchronized (received) {
      return new ArrayList<>(received);
    }
  }

  /** A server whose handler records nothing until {@code release} completes. */
  private Server<Object, Object> heldServer(TetherConfig config, CompletableFuture<Void> release) {
    return server(
        config,
        (c, m) -> {
          release.join();
          record(m);
        });
  }

  private static List<Blob> blobs(int count, int size) {
    byte[] payload = new byte[size];
    List<Blob> blobs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      blobs.add(new Blob(i, payload));
    }
    return blobs;
  }

  private static List<Msg> messages(long from, long to) {
    return LongStream.range(from, to).mapToObj(i -> new Msg("message " + i, i)).toList();
  }

  private static List<Long> numbers(long from, long to) {
    return LongStream.range(from, to).boxed().toList();
  }

  @Test
  void everyMessageArrivesOnItsOwnInOrderWithSendsBeforeAndAfter() throws Exception {
    TetherConfig config = TetherConfig.builder().codecs("test").build();
    Server<Object, Object> server = recordingServer(config);
    Connection<Object, Object> client = client(server, config);

    // 60,000 frames of about 36 bytes: many runs, each queued under one lock
    client.send(new Msg("before", 0));
    client.sendAll(messages(1, 60_001));
    client.sendAll(List.of());
    client.send(new Msg("after", 60_001));

    await().atMost(WAIT).until(() -> received().size() >= 60_002);
    assertThat(received()).isEqualTo(numbers(0, 60_002));
    assertThat(client.metrics().messagesSent()).isEqualTo(60_002);
    await()
        .atMost(WAIT)
        .until(() -> server.connections().iterator().next().metrics().messagesReceived() == 60_002);
  }

  @Test
  void aMessageThatCannotBeEncodedStopsTheBatchAfterTheOnesBeforeIt() throws Exception {
    TetherConfig config = TetherConfig.builder().codecs("test").build();
    Server<Object, Object> server = recordingServer(config.toBuilder().maxFrameBytes(1024).build());
    Connection<Object, Object> client = client(server, config);

    List<Object> tooLarge = new ArrayList<>(messages(0, 10));
    tooLarge.add(new Blob(10, new byte[2048]));
    tooLarge.addAll(messages(11, 20));
    assertThatThrownBy(() -> client.sendAll(tooLarge))
        .isExactlyInstanceOf(MessageTooLargeException.class)
        .hasMessageStartingWith(
            "sendAll's message 11 failed, and was not sent, nor any after it; the 10 before it"
                + " were queued: ")
        .hasMessageContaining("accepts at most 1024")
        .hasCauseExactlyInstanceOf(MessageTooLargeException.class);

    List<Object> unregistered = new ArrayList<>(messages(20, 25));
    unregistered.add("a String, which no one registered");
    unregistered.addAll(messages(26, 30));
    assertThatThrownBy(() -> client.sendAll(unregistered))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("sendAll's message 6 failed")
        .hasMessageContaining("the 5 before it were queued")
        .hasMessageContaining("java.lang.String is not registered");

    List<Object> withNull = new ArrayList<>(messages(30, 33));
    withNull.add(null);
    withNull.addAll(messages(34, 40));
    assertThatThrownBy(() -> client.sendAll(withNull))
        .isExactlyInstanceOf(NullPointerException.class)
        .hasMessageStartingWith("sendAll's message 4 failed")
        .hasMessageContaining("the 3 before it were queued")
        .hasMessageContaining("a message of sendAll is null");

    // a codec that fails with an Error (a bug, a class missing at run time) is passed through as
    // it is, after the messages before it
    List<Object> codecBug = new ArrayList<>(messages(40, 44));
    codecBug.add(new Msg(TestCodecProvider.ENCODE_BUG + " sendAll", 44));
    codecBug.addAll(messages(45, 50));
    assertThatThrownBy(() -> client.sendAll(codecBug))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("codec test has a bug");

    // sendAsync reports it in its stage, as any other encoding failure (it was thrown before)
    CompletionStage<Void> async =
        client.sendAsync(new Msg(TestCodecProvider.ENCODE_BUG + " async", 98));
    assertThat(async.toCompletableFuture())
        .failsWithin(Duration.ZERO)
        .withThrowableOfType(ExecutionException.class)
        .havingCause()
        .isInstanceOf(AssertionError.class);

    // the connection stays up: a later send follows the messages queued before each failure
    client.send(new Msg("last", 99));
    await().atMost(WAIT).until(() -> received().contains(99L));
    List<Long> expected = new ArrayList<>(numbers(0, 10));
    expected.addAll(numbers(20, 25));
    expected.addAll(numbers(30, 33));
    expected.addAll(numbers(40, 44));
    expected.add(99L);
    assertThat(received()).isEqualTo(expected);
    assertThat(client.metrics().messagesSent()).isEqualTo(expected.size());
  }

  @Test
  void aPeerThatStopsReadingTimesTheBatchOutNamingHowManyWereQueued() throws Exception {
    CompletableFuture<Void> release = new CompletableFuture<>();
    TetherConfig config =
        TetherConfig.builder()
            .codecs("test")
            .maxQueuedOutboundBytes(64 * 1024)
            .maxQueuedInboundMessages(8)
            .sendTimeout(Duration.ofMillis(300))
            .build();
    Server<Object, Object> server = heldServer(config, release);
    Connection<Object, Object> client = client(server, config);
    List<Blob> flood = blobs(20_000, 4096); // 80 MiB: more than any socket buffers hold

    TetherTimeoutException timeout =
        catchThrowableOfType(() -> client.sendAll(flood), TetherTimeoutException.class);
    assertThat(timeout).as("sendAll to a peer that stopped reading").isNotNull();
    assertThat(timeout.getMessage()).contains("timed out").contains("sendAll had queued the first");
    long queued = queuedCount(timeout.getMessage());
    assertThat(queued).isPositive().isLessThan(flood.size());
    assertThat(client.metrics().messagesSent()).isEqualTo(queued);

    // what was queued arrives, in order, and nothing else
    release.complete(null);
    await().atMost(WAIT).until(() -> received().size() >= queued);
    client.send(new Msg("last", -1));
    await().atMost(WAIT).until(() -> received().contains(-1L));
    List<Long> expected = new ArrayList<>(numbers(0, queued));
    expected.add(-1L);
    assertThat(received()).isEqualTo(expected);
  }

  /**
   * A batch that times out gives up after one send timeout without progress, as {@code send} does.
   * It used to try the stalled run once more, waiting a second send timeout, and had the peer read
   * again meanwhile that run went out although the exception said it was not sent.
   */
  @Test
  void aBatchToAPeerThatStopsReadingGivesUpAfterOneSendTimeout() throws Exception {
    CompletableFuture<Void> release = new CompletableFuture<>();
    Duration sendTimeout = Duration.ofSeconds(2);
    TetherConfig config =
        TetherConfig.builder()
            .codecs("test")
            .maxQueuedOutboundBytes(64 * 1024)
            .maxQueuedInboundMessages(8)
            .sendTimeout(sendTimeout)
            .build();
    Server<Object, Object> server = heldServer(config, release);
    Connection<Object, Object> client = client(server, config);
    List<Blob> flood = blobs(20_000, 4096); // 80 MiB: more than any socket buffers hold

    long start = System.nanoTime();
    TetherTimeoutException timeout =
        catchThrowableOfType(() -> client.sendAll(flood), TetherTimeoutException.class);
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(timeout).as("sendAll to a peer that stopped reading").isNotNull();
    assertThat(took).isLessThan(sendTimeout.multipliedBy(7).dividedBy(4));
    assertThat(timeout.getSuppressed()).isEmpty();
    long queued = queuedCount(timeout.getMessage());
    release.complete(null);
    client.send(new Msg("last", -1));
    await().atMost(WAIT).until(() -> received().contains(-1L));
    assertThat(received()).hasSize((int) queued + 1);
  }

  /**
   * A thread interrupted while its batch waits for room stops at once, keeps its interrupt, and is
   * told how many of its messages were queued: exactly those arrive.
   */
  @Test
  void anInterruptedBatchStopsAtOnceNamingHowManyWereQueued() throws Exception {
    CompletableFuture<Void> release = new CompletableFuture<>();
    TetherConfig config =
        TetherConfig.builder()
            .codecs("test")
            .maxQueuedOutboundBytes(64 * 1024)
            .maxQueuedInboundMessages(8)
            .sendTimeout(Duration.ofMinutes(5))
            .build();
    Server<Object, Object> server = heldServer(config, release);
    Connection<Object, Object> client = client(server, config);
    List<Blob> flood = blobs(20_000, 4096);
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    CompletableFuture<Boolean> stillInterrupted = new CompletableFuture<>();
    Thread sender =
        new Thread(
            () -> {
              try {
                client.sendAll(flood);
                failure.complete(null);
              } catch (Throwable t) {
                failure.complete(t);
              }
              stillInterrupted.complete(Thread.currentThread().isInterrupted());
            });
    sender.start();
    await().atMost(WAIT).until(() -> sender.getState() == Thread.State.TIMED_WAITING);

    sender.interrupt();

    Throwable t = failure.get(20, TimeUnit.SECONDS);
    assertThat(t)
        .isInstanceOf(TetherException.class)
        .hasMessageContaining("interrupted")
        .hasMessageContaining("sendAll had queued the first")
        .hasCauseInstanceOf(InterruptedException.class);
    assertThat(stillInterrupted.get(20, TimeUnit.SECONDS)).isTrue();
    long queued = queuedCount(t.getMessage());
    assertThat(client.isOpen()).isTrue();
    release.complete(null);
    client.send(new Msg("last", -1));
    await().atMost(WAIT).until(() -> received().contains(-1L));
    List<Long> expected = new ArrayList<>(numbers(0, queued));
    expected.add(-1L);
    assertThat(received()).isEqualTo(expected);
  }

  @Test
  void aBatchToAPeerThatPausesReadingWaitsForRoomAndArrivesWholeInOrder() throws Exception {
    // the sockets fill mid-run; the rest of that run and every later one wait in the queue, the
    // sender waits for room, and all of it follows in order once the peer reads again
    CompletableFuture<Void> release = new CompletableFuture<>();
    TetherConfig config =
        TetherConfig.builder()
            .codecs("test")
            .maxQueuedInboundMessages(8)
            .sendTimeout(Duration.ofSeconds(30))
            .build();
    Server<Object, Object> server = heldServer(config, release);
    Connection<Object, Object> client = client(server, config);
    List<Blob> blobs = blobs(40_000, 512); // 20 MiB in runs of 64 KiB: more than the sockets hold
    CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> client.sendAll(blobs));

    await().atMost(WAIT).until(() -> client.metrics().queuedOutboundBytes() > 0 && !sent.isDone());
    release.complete(null);
    sent.get(60, TimeUnit.SECONDS);
    client.send(new Msg("last", 40_000));
    await().atMost(WAIT).until(() -> received().size() >= 40_001);
    assertThat(received()).isEqualTo(numbers(0, 40_001));
    assertThat(client.metrics().messagesSent()).isEqualTo(40_001);
  }

  @Test
  void aClosedConnectionRefusesTheBatchWithTheCloseReason() throws Exception {
    TetherConfig config = TetherConfig.builder().codecs("test").build();
    Server<Object, Object> server = recordingServer(config);
    Connection<Object, Object> client = client(server, config);
    client.close();

    assertThatThrownBy(() -> client.sendAll(messages(0, 3)))
        .isInstanceOfSatisfying(
            ConnectionClosedException.class, e -> assertThat(e.code()).isEqualTo(GoAwayCode.NORMAL))
        .hasMessageContaining("sendAll had queued the first 0 of its messages");
    assertThat(client.metrics().messagesSent()).isZero();
  }

  @Test
  void aHandlerAnswersWithABatch() throws Exception {
    TetherConfig config = TetherConfig.builder().codecs("test").build();
    Server<Object, Object> server =
        server(
            config,
            (c, m) -> {
              long seq = ((Msg) m).seq();
              c.sendAll(messages(seq * 3, seq * 3 + 3));
            });
    Connection<Object, Object> client =
        track(
            Tether.client(TestTypes.TYPES)
                .config(config)
                .onMessage((c, m) -> record(m))
                .connect(server.address()));

    for (Msg m : messages(0, 2000)) {
      client.send(m);
    }

    await().atMost(WAIT).until(() -> received().size() >= 6000);
    assertThat(received()).isEqualTo(numbers(0, 6000));
  }

  private static long queuedCount(String message) {
    String marker = "sendAll had queued the first ";
    String rest = message.substring(message.indexOf(marker) + marker.length());
    return Long.parseLong(rest.substring(0, rest.indexOf(' ')));
  }

  private static <T extends Throwable> T catchThrowableOfType(Runnable call, Class<T> type) {
    try {
      call.run();
    } catch (Throwable t) {
      assertThat(t).isInstanceOf(type);
      return type.cast(t);
    }
    return null;
  }
}
