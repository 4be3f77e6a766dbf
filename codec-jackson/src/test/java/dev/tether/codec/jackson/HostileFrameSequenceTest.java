package dev.tether.codec.jackson;

import static dev.tether.codec.jackson.HostileFrames.ECHO;
import static dev.tether.codec.jackson.HostileFrames.MAX_FRAME_BYTES;
import static dev.tether.codec.jackson.HostileFrames.NORMAL;
import static dev.tether.codec.jackson.HostileFrames.TYPES;
import static dev.tether.codec.jackson.HostileFrames.echoIn;
import static dev.tether.codec.jackson.HostileFrames.json;
import static dev.tether.codec.jackson.HostileFrames.randomBytes;
import static dev.tether.codec.jackson.HostileFrames.randomEcho;
import static dev.tether.codec.jackson.HostileFrames.u16;
import static dev.tether.codec.jackson.HostileFrames.u64;
import static dev.tether.codec.jackson.HostileFrames.undecodable;
import static dev.tether.codec.jackson.HostileFrames.writeSplit;
import static dev.tether.testing.RawPeer.DATA;
import static dev.tether.testing.RawPeer.GOAWAY;
import static dev.tether.testing.RawPeer.PING;
import static dev.tether.testing.RawPeer.PONG;
import static dev.tether.testing.RawPeer.REQUEST;
import static dev.tether.testing.RawPeer.RESPONSE;
import static dev.tether.testing.RawPeer.concat;
import static dev.tether.testing.RawPeer.frame;
import static dev.tether.testing.RawPeer.utf8;
import static dev.tether.testing.RawPeer.varint;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import dev.tether.Server;
import dev.tether.ServerBuilder;
import dev.tether.Tether;
import dev.tether.TetherConfig;
import dev.tether.TlsConfig;
import dev.tether.codec.jackson.HostileFrames.Echo;
import dev.tether.testing.RawPeer;
import dev.tether.testing.RawPeer.Frame;
import dev.tether.testing.RawPeer.GoAway;
import dev.tether.testing.RawPeer.Hello;
import dev.tether.testing.TestPki;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Well-formed and hostile frames mixed at random, written by hand to a real server that follows the
 * echo profile of PROTOCOL.md §10 over {@code json}, with the bytes split at random on the way.
 * Every frame must get what PROTOCOL.md says and nothing else: an echo, a response (OK, or ERROR
 * with the right code), a PONG, silence, or a GOAWAY with the right code whose reason names the
 * cause, then end of stream. A sequence ends either with the peer's own GOAWAY (§8) or with a fatal
 * frame; either way the frames before it were sound, and everything they asked for is answered, in
 * order and once, before the server's GOAWAY. Three servers (handlers on the event loop, the
 * default; handlers on the pool; TLS) serve the sequences in turn, and must hold no connection and
 * still echo once they are done.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileFrameSequenceTest {
  private static final int SEQUENCES = 400;

  // PROTOCOL.md §7 error codes
  private static final int HANDLER_FAILED = 2;
  private static final int DECODE_FAILED = 3;
  private static final int UNKNOWN_TYPE = 4;

  private static final TestPki PKI = TestPki.shared();

  /**
   * The sequences go in turn to a server whose event loop runs the handlers (the default), one with
   * handlers on the pool, and one behind TLS, where frames also straddle TLS records.
   */
  private static final List<Server<Echo, Echo>> servers = new ArrayList<>();

  private static final int TLS = 2;

  @BeforeAll
  static void start() {
    servers.add(echoServer(TetherConfig.builder(), null));
    servers.add(echoServer(TetherConfig.builder().handlersOnPool(), null));
    servers.add(echoServer(TetherConfig.builder(), PKI.serverTls().build()));
  }

  private static Server<Echo, Echo> echoServer(TetherConfig.Builder config, TlsConfig tls) {
    ServerBuilder<Echo, Echo> builder = Tether.<Echo, Echo>server(TYPES);
    if (tls != null) {
      builder.tls(tls);
    }
    return builder
        .config(config.codecs("json").maxFrameBytes(MAX_FRAME_BYTES).build())
        .onMessage((connection, echo) -> connection.send(echo))
        .onRequest(
            (connection, request) -> {
              if (request.text().startsWith("fail:")) {
                throw new IllegalStateException(request.text().substring("fail:".length()));
              }
              return request;
            })
        .bind(new InetSocketAddress("127.0.0.1", 0));
  }

  @AfterAll
  static void stop() {
    servers.forEach(server -> server.close(Duration.ofSeconds(5)));
  }

  static LongStream seeds() {
    return LongStream.range(0, SEQUENCES);
  }

  @ParameterizedTest(name = "sequence {0}")
  @MethodSource("seeds")
  @Order(1)
  void everyFrameGetsWhatTheProtocolSaysWhateverTheMixAndTheSplits(long seed) throws IOException {
    SplittableRandom random = new SplittableRandom(seed);
    Script script = new Script(random);
    script.compose();

    try (RawPeer peer = connect((int) (seed % servers.size()))) {
      peer.handshake(Hello.forTypes(TYPES).codecs("json"));
      writeSplit(peer, script.bytes.toByteArray(), random);
      script.check(peer);
    }
  }

  @Test
  @Order(2)
  void afterEverySequenceTheServersHoldNoConnectionAndStillEcho() throws IOException {
    for (int i = 0; i < servers.size(); i++) {
      Server<Echo, Echo> server = servers.get(i);
      // each sequence ended in a GOAWAY and end of stream: nothing may be left open or wedged
      await().atMost(Duration.ofSeconds(10)).until(() -> server.connections().isEmpty());
      assertEchoes(i);
    }
  }

  private static RawPeer connect(int server) throws IOException {
    java.net.SocketAddress address = servers.get(server).address();
    return server == TLS
        ? RawPeer.connectTls(address, PKI.clientTls().build().sslContext(), "localhost")
        : RawPeer.connect(address);
  }

  private static void assertEchoes(int server) throws IOException {
    try (RawPeer peer = connect(server)) {
      peer.handshake(Hello.forTypes(TYPES).codecs("json"));
      Echo echo = new Echo("still here", 42);
      peer.writeData(ECHO, json(echo));
      Frame frame = peer.readFrameAnsweringPings();
      assertThat(frame.type()).as(frame.describe()).isEqualTo(DATA);
      assertThat(echoIn(frame.body(), 0)).isEqualTo(echo);
    }
  }

  /** What a RESPONSE to a request must say. */
  private record Answer(Echo ok, int errorCode, String messagePart) {}

  /** The frames of one sequence and what each must get back. */
  private static final class Script extends HostileFrames.Sequence {
    private final List<Echo> echoes = new ArrayList<>();
    private final Map<Long, Answer> answers = new HashMap<>();
    private final Set<Long> pings = new HashSet<>();

    Script(SplittableRandom random) {
      super(random);
    }

    private long newRequestId() {
      long id;
      do {
        id = random.nextLong();
      } while (answers.containsKey(id));
      return id;
    }

    private void request(String step, long id, int typeId, byte[] payload, Answer answer) {
      answers.put(id, answer);
      write(step + " #" + id, REQUEST, concat(u64(id), varint(typeId), payload));
    }

    @Override
    void harmlessStep() {
      switch (random.nextInt(9)) {
        case 0 -> echoes.add(writeData());
        case 1 -> {
          Echo echo = randomEcho(random);
          request("REQUEST " + echo, newRequestId(), ECHO, json(echo), new Answer(echo, 0, null));
        }
        case 2 -> {
          String rest = randomEcho(random).text();
          Echo echo = new Echo("fail:" + rest, 1);
          request(
              "failing REQUEST", newRequestId(), ECHO, json(echo), answer(HANDLER_FAILED, rest));
        }
        case 3 -> {
          int typeId = 2 + random.nextInt(1000);
          request(
              "REQUEST of type " + typeId,
              newRequestId(),
              typeId,
              randomBytes(random, 10),
              answer(UNKNOWN_TYPE, String.valueOf(typeId)));
        }
        case 4 ->
            request(
                "undecodable REQUEST",
                newRequestId(),
                ECHO,
                undecodable(random),
                answer(DECODE_FAILED, "decode"));
        case 5 -> {
          long ping;
          do {
            ping = random.nextLong();
          } while (!pings.add(ping));
          write("PING", PING, u64(ping));
        }
        case 6 -> writeStrayPong();
        case 7 -> {
          // a RESPONSE to a request the server never sent: ignored, OK or ERROR alike
          byte[] body =
              random.nextBoolean()
                  ? concat(
                      u64(random.nextLong()),
                      new byte[] {0},
                      varint(ECHO),
                      json(randomEcho(random)))
                  : concat(u64(random.nextLong()), new byte[] {1}, u16(2), utf8("nope"));
          write("RESPONSE to nothing", RESPONSE, body);
        }
        default -> writeAncillary();
      }
    }

    private static Answer answer(int errorCode, String messagePart) {
      return new Answer(null, errorCode, messagePart);
    }

    /** The peer's GOAWAY: everything before it is answered, then GOAWAY(NORMAL). */
    @Override
    void goAwayStep() {
      goAwayCode = NORMAL;
      reasonPart = "";
      int code = random.nextInt(14); // whatever code the peer gives, the answer is NORMAL
      write("GOAWAY(" + code + ")", GOAWAY, concat(u16(code), utf8("bye " + code)));
    }

    /** Reads what the server sends up to end of stream and holds it against the script. */
    void check(RawPeer peer) throws IOException {
      String script = script();
      int echoed = 0;
      Set<Long> answered = new HashSet<>();
      Set<Long> ponged = new HashSet<>();
      while (true) {
        Frame frame;
        try {
          frame = peer.readFrame();
        } catch (EOFException e) {
          throw new AssertionError("end of stream without GOAWAY; " + script, e);
        }
        switch (frame.type()) {
          case DATA -> {
            assertThat(echoed)
                .as("an echo more than the DATA sent; %s", script)
                .isLessThan(echoes.size());
            assertThat(echoIn(frame.body(), 0))
                .as("echo %d; %s", echoed, script)
                .isEqualTo(echoes.get(echoed));
            echoed++;
          }
          case RESPONSE -> checkResponse(frame.body(), answered, script);
          case PONG -> {
            long ping = ByteBuffer.wrap(frame.body()).getLong();
            assertThat(pings).as("PONG for a PING sent; %s", script).contains(ping);
            assertThat(ponged.add(ping)).as("one PONG per PING; %s", script).isTrue();
          }
          case PING -> {} // the server's heartbeat
          case GOAWAY -> {
            GoAway goAway = GoAway.parse(frame.body());
            assertThat(goAway.code()).as("GOAWAY %s; %s", goAway, script).isEqualTo(goAwayCode);
            assertThat(goAway.reason())
                .as("GOAWAY reason; %s", script)
                .isNotBlank()
                .contains(reasonPart);
            // after the peer's GOAWAY, or a fatal frame, alike: the frames before it were sound,
            // and everything they asked for is answered before the GOAWAY
            assertThat(echoed)
                .as("every DATA echoed before GOAWAY; %s", script)
                .isEqualTo(echoes.size());
            assertThat(answered)
                .as("every REQUEST answered before GOAWAY; %s", script)
                .isEqualTo(answers.keySet());
            assertThat(ponged).as("every PING answered before GOAWAY; %s", script).isEqualTo(pings);
            peer.assertEndOfStream(); // nothing after GOAWAY
            return;
          }
          default -> fail("unexpected %s; %s", frame.describe(), script);
        }
      }
    }

    private void checkResponse(byte[] body, Set<Long> answered, String script) {
      ByteBuffer in = ByteBuffer.wrap(body);
      long id = in.getLong();
      int status = in.get();
      Answer answer = answers.get(id);
      assertThat(answer).as("RESPONSE #%d answers a REQUEST sent; %s", id, script).isNotNull();
      assertThat(answered.add(id)).as("one RESPONSE to #%d; %s", id, script).isTrue();
      if (answer.ok() != null) {
        assertThat(status).as("status of #%d; %s", id, script).isZero();
        assertThat(echoIn(body, in.position())).as("#%d; %s", id, script).isEqualTo(answer.ok());
        return;
      }
      assertThat(status).as("status of #%d; %s", id, script).isEqualTo(1);
      int code = in.getShort() & 0xFFFF;
      String message = StandardCharsets.UTF_8.decode(in).toString();
      assertThat(code)
          .as("error code of #%d (%s); %s", id, message, script)
          .isEqualTo(answer.errorCode());
      assertThat(message).as("error of #%d; %s", id, script).contains(answer.messagePart());
    }
  }
}
