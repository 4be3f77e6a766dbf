package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.testing.Msg;
import dev.tether.testing.Resources;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
  void answersLargerThanTheBoundAreNotCutForWantOfAcknowledgements(Handlers handlers)
      throws Exception {
    // an answer larger than the bound is accepted alone, and kept for replay until acknowledged:
    // a connection that sends such answers keeps its socket (no resume)
    String large = "y".repeat(200_000);
    assertThat(pipeline(handlers, 16_384, null, 20, "q", large)).as("resumes").isZero();
  }

  /**
   * As {@link #pipeline(Handlers, int, Integer, int, String, String)}, requests and answers of 1
   * KB.
   */
  private int pipeline(Handlers handlers, int bound, int requests, Integer clientMaxFrame)
      throws Exception {
    String text = "x".repeat(1000);
    return pipeline(handlers, bound, clientMaxFrame, requests, text, text);
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
    Server<Object, Object> server =
        resources.track(
            Tether.server(TestTypes.TYPES)
                .config(
                    handlers
                        .place
                        .apply(TetherConfig.builder().codecs("test").maxQueuedOutboundBytes(bound))
                        .build())
                .sessionResumption(Duration.ofSeconds(30), 1 << 20)
                .onRequest((c, m) -> new Msg(answer, ((Msg) m).seq()))
                .bind(new InetSocketAddress("127.0.0.1", 0)));
    AtomicInteger resumed = new AtomicInteger();
    Connection<Object, Object> client =
        resources.track(
            Tether.client(TestTypes.TYPES)
                .config(
                    clientMaxFrame == null
                        ? TetherConfig.builder().codecs("test").build()
                        : TetherConfig.builder()
                            .codecs("test")
                            .maxFrameBytes(clientMaxFrame)
                            .build())
                .reconnect(ResumptionTest.FAST)
                .onReconnect(
                    new ReconnectListener<>() {
                      @Override
                      public void onResumed(Connection<Object, Object> c, int attempts) {
                        resumed.incrementAndGet();
                      }
                    })
                .connect(server.address()));

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
}
