package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Msg;
import dev.tether.testing.Resources;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A resumable session under load (PROTOCOL.md §13): each side keeps what it wrote until the peer
 * acknowledges it, and those acknowledgements travel behind whatever the peer had already sent. A
 * side that stopped reading, or stopped its handlers, until they came would wait for ever.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ResumptionFlowTest {
  private final Resources resources = new Resources();

  @AfterEach
  void closeResources() {
    resources.close();
  }

  /** Where the server runs its handlers. */
  enum Handlers {
    DEFAULT(b -> b),
    ON_POOL(TetherConfig.Builder::handlersOnPool),
    ON_LOOP(TetherConfig.Builder::handlersOnEventLoop);

    final UnaryOperator<TetherConfig.Builder> place;

    Handlers(UnaryOperator<TetherConfig.Builder> place) {
      this.place = place;
    }
  }

  @ParameterizedTest(name = "handlers {0}")
  @EnumSource(Handlers.class)
  void pipelinedRequestsAreAllAnsweredThoughTheAcknowledgementsQueueBehindThem(Handlers handlers)
      throws Exception {
    // 20 MB of requests in flight, with the default bound (4 MiB): the client reads the answers at
    // once and acknowledges them, but its ACKs travel behind the requests it had already written,
    // in the sockets. A server that stopped reading, or stopped its handlers, until they came
    // waited for ever (before: no answer after the first few thousand, with handlers on the loop)
    int resumes = pipeline(handlers, TetherConfig.DEFAULT_MAX_QUEUED_OUTBOUND_BYTES, 20_000, null);
    System.out.printf(
        "handlers %s: 20,000 pipelined requests of 1 KB answered, %d resumes%n", handlers, resumes);
  }

  @ParameterizedTest(name = "handlers {0}")
  @EnumSource(Handlers.class)
  void unacknowledgedAnswersPastTheirCapCloseTheSocketAndTheSessionResumesLosingNothing(
      Handlers handlers) throws Exception {
    // with a 16 KiB bound, and frames of at most 64 KiB to the client, the server keeps 96 KiB of
    // answers for replay; the client's ACKs lie behind hundreds of KB of its requests, so the
    // server closes the socket, the client resumes, and its RESUME says what it received
    int resumes = pipeline(handlers, 16_384, 2_000, 65_536);
    assertThat(resumes).as("sockets closed for want of acknowledgements").isPositive();
    System.out.printf("handlers %s: 2,000 answered through %d resumes%n", handlers, resumes);
  }

  @ParameterizedTest(name = "handlers {0}")
  @EnumSource(Handlers.class)
  void aSmallBoundWithTheDefaultFrameSizeAnswersADeepPipelineWithoutResuming(Handlers handlers)
      throws Exception {
    // the same pipeline, the client accepting frames of up to 16 MiB: what the server keeps for
    // replay may reach 16 MiB and 32 KiB, more than these 2 MB of answers
    assertThat(pipeline(handlers, 16_384, 2_000, null)).as("resumes").isZero();
  }

  @ParameterizedTest(name = "handlers {0}")
  @EnumSource(Handlers.class)
  void acknowledgementsGetPastASendersOwnBacklog(Handlers handlers) throws Exception {
    // the client may queue 64 MiB, so its 20 MB of requests wait in its outbound queue, and its
    // ACKs of the answers go between two of those frames. The server keeps its answers for
    // replay until they come: past its cap (twice its 16 KiB bound and one 16 MiB frame) it cuts
    // the socket. Before, an ACK went out only when a write happened to end where a frame did,
    // so the server read none before its 16,000th answer or so, and cut the socket
    String text = "x".repeat(1000);
    int resumes =
        pipeline(
            handlers, 16_384, null, 20_000, text, text, b -> b.maxQueuedOutboundBytes(64 << 20));
    assertThat(resumes).as("resumes").isZero();
  }

  @ParameterizedTest(name = "handlers {0}")
  @EnumSource(Handlers.class)
  void answersLargerThanTheBoundAreNotCutForWantOfAcknowledgements(Handlers handlers)
      throws Exception {
    // an answer larger than the bound is accepted alone, and kept for replay until acknowledged:
    // a connection that sends such answers keeps its socket (no resume)
    String large = "y".repeat(200_000);
    assertThat(pipeline(handlers, 16_384, null, 20, "q", large)).as("resumes").isZero();
  }

  @ParameterizedTest(name = "handlers {0}")
  @EnumSource(Handlers.class)
  void aHandlerThatSendsAsyncThenSendsAnswersAPipelineThoughItsAnswersAwaitAcknowledgements(
      Handlers handlers) throws Exception {
    // the server's handler answers each message with sendAsync, then send. Once the answers kept
    // for replay fill the 16 KiB bound, its sendAsync frame waited for an acknowledgement, and its
    // send waited behind that frame; the client's ACKs lay behind the 5 MB it had pipelined, which
    // the server reads only as its handler returns. 10 MB of answers stay under the replay cap
    // (twice the bound and the client's 16 MiB frames), so the socket is never cut. Before: with
    // handlers on the pool, 32 of the 10,000 answers, the handler stuck in its 17th send for good;
    // on the loop, 33, its send refused and the connection closed; by default, the sends went
    // ahead of the sendAsync frames, which waited until their room was full, then were refused
    assertThat(sendAsyncThenSend(handlers, 5_000, null)).as("resumes").isZero();
  }

  @ParameterizedTest(name = "handlers {0}")
  @EnumSource(Handlers.class)
  void aHandlerThatSendsAsyncThenSendsLosesAndRepeatsNothingThroughResumes(Handlers handlers)
      throws Exception {
    // as above, the client accepting frames of at most 64 KiB: past 96 KiB of answers kept for
    // replay the server cuts the socket, with its handler's sendAsync frames waiting or in flight,
    // and the session resumes from what the client received
    assertThat(sendAsyncThenSend(handlers, 2_000, 65_536))
        .as("sockets closed for want of acknowledgements")
        .isPositive();
  }

  /**
   * Pipelines {@code messages} messages of 1 KB from a resumable client to a server with a 16 KiB
   * bound whose handler answers each with {@code sendAsync}, then {@code send}; checks that the
   * client receives every answer once, in the order the handler sent them, and that every {@code
   * sendAsync} completed; returns how often the session resumed. {@code clientMaxFrame} is the
   * client's {@code maxFrameBytes}, null for the default.
   */
  private int sendAsyncThenSend(Handlers handlers, int messages, Integer clientMaxFrame)
      throws Exception {
    String text = "x".repeat(1000);
    Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
    AtomicLong handled = new AtomicLong();
    AtomicLong asyncSent = new AtomicLong();
    Server<Object, Object> server =
        resumableServer(
            handlers,
            16_384,
            b ->
                b.onMessage(
                    (c, m) -> {
                      long seq = ((Msg) m).seq();
                      try {
                        c.sendAsync(new Msg(text, 2 * seq))
                            .whenComplete(
                                (v, e) -> {
                                  if (e != null) {
                                    failures.add(e);
                                  } else {
                                    asyncSent.incrementAndGet();
                                  }
                                });
                        c.send(new Msg(text, 2 * seq + 1));
                      } catch (RuntimeException e) {
                        failures.add(e);
                        throw e;
                      }
                      handled.incrementAndGet();
                    }));
    AtomicLong received = new AtomicLong();
    Queue<String> disorder = new ConcurrentLinkedQueue<>();
    AtomicInteger resumed = new AtomicInteger();
    // the client queues all it pipelines without waiting: what the test waits for is the server
    TetherConfig.Builder clientConfig =
        TetherConfig.builder().codecs("test").maxQueuedOutboundBytes(16 << 20);
    if (clientMaxFrame != null) {
      clientConfig.maxFrameBytes(clientMaxFrame);
    }
    Connection<Object, Object> client =
        resources.track(
            resumingClient(clientConfig.build(), resumed)
                .onMessage(
                    (c, m) -> {
                      long expected = received.getAndIncrement();
                      if (((Msg) m).seq() != expected && disorder.size() < 10) {
                        disorder.add(
                            "answer " + ((Msg) m).seq() + " where " + expected + " was due");
                      }
                    })
                .connect(server.address()));

    for (int i = 0; i < messages; i++) {
      client.send(new Msg(text, i));
    }
    await()
        .atMost(Duration.ofSeconds(45))
        .untilAsserted(
            () ->
                assertThat(received.get())
                    .as(
                        "answers received; the server's handler returned for %d messages, %d of"
                            + " its sends failed (the first: %s)",
                        handled.get(), failures.size(), failures.peek())
                    .isEqualTo(2L * messages));
    assertThat(disorder).as("answers out of the order the handler sent them").isEmpty();
    assertThat(failures).as("the handler's failed sends").isEmpty();
    await().atMost(Duration.ofSeconds(10)).until(() -> asyncSent.get() == messages);
    assertThat(server.connections()).as("one session throughout").hasSize(1);
    System.out.printf(
        "handlers %s: sendAsync then send answered %,d pipelined messages, %d resumes%n",
        handlers, messages, resumed.get());
    return resumed.get();
  }

  /**
   * As {@link #pipeline(Handlers, int, Integer, int, String, String)}, requests and answers of 1
   * KB.
   */
  private int pipeline(Handlers handlers, int bound, int requests, Integer clientMaxFrame)
      throws Exception {
    String text = "x".repeat(1000);
    return pipeline(handlers, bound, clientMaxFrame, requests, text, text, b -> b);
  }

  /**
   * Pipelines {@code requests} requests carrying {@code question} from a resumable client to a
   * server with {@code bound} that answers each with {@code answer}, checks every answer, and
   * returns how often the session resumed meanwhile; {@code clientMaxFrame} is the client's {@code
   * maxFrameBytes}, null for the default.
   */
  private int pipeline(
      Handlers handlers,
      int bound,
      Integer clientMaxFrame,
      int requests,
      String question,
      String answer)
      throws Exception {
    return pipeline(handlers, bound, clientMaxFrame, requests, question, answer, b -> b);
  }

  /** As above, the client's configuration changed by {@code clientConfig} too. */
  private int pipeline(
      Handlers handlers,
      int bound,
      Integer clientMaxFrame,
      int requests,
      String question,
      String answer,
      UnaryOperator<TetherConfig.Builder> clientConfig)
      throws Exception {
    Server<Object, Object> server =
        resumableServer(
            handlers, bound, b -> b.onRequest((c, m) -> new Msg(answer, ((Msg) m).seq())));
    AtomicInteger resumed = new AtomicInteger();
    TetherConfig.Builder config = TetherConfig.builder().codecs("test");
    if (clientMaxFrame != null) {
      config.maxFrameBytes(clientMaxFrame);
    }
    Connection<Object, Object> client =
        resources.track(
            resumingClient(clientConfig.apply(config).build(), resumed).connect(server.address()));

    List<CompletableFuture<Object>> answers = new ArrayList<>();
    for (int i = 0; i < requests; i++) {
      answers.add(client.request(new Msg(question, i), Duration.ofSeconds(60)));
    }
    for (int i = 0; i < requests; i++) {
      assertThat(answers.get(i).get(60, TimeUnit.SECONDS)).isEqualTo(new Msg(answer, i));
    }
    assertThat(server.connections()).as("one session throughout").hasSize(1);
    return resumed.get();
  }

  /**
   * A server on loopback that keeps sessions for 30 s within 1 MiB, with the outbound {@code bound}
   * and its handlers placed by {@code handlers}, set up further by {@code handler}.
   */
  private Server<Object, Object> resumableServer(
      Handlers handlers, int bound, UnaryOperator<ServerBuilder<Object, Object>> handler)
      throws Exception {
    ServerBuilder<Object, Object> builder =
        Tether.<Object, Object>server(TestTypes.TYPES)
            .config(
                handlers
                    .place
                    .apply(TetherConfig.builder().codecs("test").maxQueuedOutboundBytes(bound))
                    .build())
            .sessionResumption(Duration.ofSeconds(30), 1 << 20);
    return resources.track(handler.apply(builder).bind(new InetSocketAddress("127.0.0.1", 0)));
  }

  /**
   * A client with {@code config} that reconnects at once and counts its resumes in {@code resumed}.
   */
  private static ClientBuilder<Object, Object> resumingClient(
      TetherConfig config, AtomicInteger resumed) {
    return Tether.<Object, Object>client(TestTypes.TYPES)
        .config(config)
        .reconnect(ResumptionTest.FAST)
        .onReconnect(
            new ReconnectListener<>() {
              @Override
              public void onResumed(Connection<Object, Object> c, int attempts) {
                resumed.incrementAndGet();
              }
            });
  }
}
