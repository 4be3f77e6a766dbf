package dev.tether.codec.jackson;

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

import dev.tether.MessageTypes;
import dev.tether.Server;
import dev.tether.Tether;
import dev.tether.TetherConfig;
import dev.tether.testing.RawPeer;
import dev.tether.testing.RawPeer.Frame;
import dev.tether.testing.RawPeer.GoAway;
import dev.tether.testing.RawPeer.Hello;
import java.io.ByteArrayOutputStream;
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
import tools.jackson.databind.json.JsonMapper;

/**
 * Well-formed and hostile frames mixed at random, written by hand to a real server that follows the
 * echo profile of PROTOCOL.md §10 over {@code json}, with the bytes split at random on the way.
 * Every frame must get what PROTOCOL.md says and nothing else: an echo, a response (OK, or ERROR
 * with the right code), a PONG, silence, or a GOAWAY with the right code whose reason names the
 * cause, then end of stream. A sequence ends either with the peer's own GOAWAY, after which
 * everything before it must be answered (§8), or with a fatal frame, before which answers may be
 * cut short but what does come is right, in order and not repeated. Two servers, one whose event
 * loop runs the handlers (the default) and one with handlers on the pool, serve every sequence
 * between them, and must still echo once they are done.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileFrameSequenceTest {
  /** The profile's message. */
  public record Echo(String text, long seq) {}

  private static final MessageTypes TYPES =
      MessageTypes.builder("tether-echo").register(1, "echo.Echo", Echo.class).build();

  private static final int ECHO = 1;
  private static final int MAX_FRAME_BYTES = 64 * 1024;
  private static final int SEQUENCES = 200;
  private static final JsonMapper JSON = JsonMapper.builder().build();

  // PROTOCOL.md §8 and §7 codes
  private static final int NORMAL = 0;
  private static final int PROTOCOL_ERROR = 1;
  private static final int FRAME_TOO_LARGE = 6;
  private static final int CODEC_ERROR = 13;
  private static final int HANDLER_FAILED = 2;
  private static final int DECODE_FAILED = 3;
  private static final int UNKNOWN_TYPE = 4;

  /** Payloads the json codec must refuse as an Echo. */
  private static final List<byte[]> UNDECODABLE =
      List.of(
          new byte[0],
          utf8("{"),
          utf8("[1,2]"),
          utf8("null"),
          utf8("{\"text\":\"t\",\"seq\":\"not a number\"}"),
          new byte[] {(byte) 0xFF, (byte) 0xFE, 0x00});

  /** Code points an echo's text is made of: escapes, controls, two- to four-byte UTF-8. */
  private static final int[] TEXT_CODE_POINTS = {
    'a', 'z', '0', ' ', '"', '\\', '/', '\n', '\t', 0x01, 0x7F, 0xE9, 0x4E2D, 0xFFFD, 0x1D11E
  };

  /** Handlers run by the event loop (the default) for even sequences, on the pool for odd ones. */
  private static final List<Server<Echo, Echo>> servers = new ArrayList<>();

  @BeforeAll
  static void start() {
    servers.add(echoServer(TetherConfig.builder()));
    servers.add(echoServer(TetherConfig.builder().handlersOnPool()));
  }

  private static Server<Echo, Echo> echoServer(TetherConfig.Builder config) {
    return Tether.<Echo, Echo>server(TYPES)
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
    int steps = random.nextInt(13);
    for (int i = 0; i < steps; i++) {
      script.harmlessStep();
    }
    if (random.nextBoolean()) {
      script.peerGoAway();
    } else {
      script.fatalStep();
    }

    try (RawPeer peer = RawPeer.connect(servers.get((int) (seed % 2)).address())) {
      peer.handshake(Hello.forTypes(TYPES).codecs("json"));
      writeSplit(peer, script.bytes.toByteArray(), random);
      script.check(peer);
    }
  }

  @Test
  @Order(2)
  void afterEverySequenceTheServersHoldNoConnectionAndStillEcho() throws IOException {
    for (Server<Echo, Echo> server : servers) {
      // each sequence ended in a GOAWAY and end of stream: nothing may be left open or wedged
      await().atMost(Duration.ofSeconds(10)).until(() -> server.connections().isEmpty());
      assertEchoes(server);
    }
  }

  private static void assertEchoes(Server<Echo, Echo> server) throws IOException {
    try (RawPeer peer = RawPeer.connect(server.address())) {
      peer.handshake(Hello.forTypes(TYPES).codecs("json"));
      Echo echo = new Echo("still here", 42);
      peer.writeData(ECHO, JSON.writeValueAsBytes(echo));
      Frame frame = peer.readFrameAnsweringPings();
      assertThat(frame.type()).as(frame.describe()).isEqualTo(DATA);
      assertThat(echoIn(frame.body(), 0)).isEqualTo(echo);
    }
  }

  /** Writes {@code bytes} in up to five pieces cut at random places, so frames straddle reads. */
  private static void writeSplit(RawPeer peer, byte[] bytes, SplittableRandom random)
      throws IOException {
    int cuts = random.nextInt(5);
    int from = 0;
    for (int i = 0; i < cuts && from < bytes.length; i++) {
      int to = from + random.nextInt(bytes.length - from + 1);
      peer.write(java.util.Arrays.copyOfRange(bytes, from, to));
      from = to;
    }
    peer.write(java.util.Arrays.copyOfRange(bytes, from, bytes.length));
  }

  private static Echo echoIn(byte[] body, int offset) {
    ByteBuffer in = ByteBuffer.wrap(body, offset, body.length - offset);
    assertThat(in.get()).as("type id varint").isEqualTo((byte) ECHO);
    return JSON.readValue(body, in.position(), in.remaining(), Echo.class);
  }

  /** What a RESPONSE to a request must say. */
  private record Answer(Echo ok, int errorCode, String messagePart) {}

  /** The frames of one sequence and what each must get back. */
  private static final class Script {
    private final SplittableRandom random;
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final List<String> steps = new ArrayList<>();
    private final List<Echo> echoes = new ArrayList<>();
    private final Map<Long, Answer> answers = new HashMap<>();
    private final Set<Long> pings = new HashSet<>();
    private boolean graceful;
    private int goAwayCode;
    private String reasonPart;

    Script(SplittableRandom random) {
      this.random = random;
    }

    private void write(String step, int type, byte[] body) {
      steps.add(step);
      bytes.writeBytes(frame(type, body));
    }

    private Echo randomEcho() {
      StringBuilder text = new StringBuilder();
      // now and then a text of tens of kilobytes, so that frames straddle the server's reads
      int length = random.nextInt(10) == 0 ? random.nextInt(8000) : random.nextInt(20);
      for (int i = 0; i < length; i++) {
        text.appendCodePoint(TEXT_CODE_POINTS[random.nextInt(TEXT_CODE_POINTS.length)]);
      }
      long seq = random.nextInt(4) == 0 ? Long.MIN_VALUE + random.nextInt(2) : random.nextLong();
      return new Echo(text.toString(), seq);
    }

    private static byte[] json(Echo echo) {
      return JSON.writeValueAsBytes(echo);
    }

    private long newRequestId() {
      long id;
      do {
        id = random.nextLong();
      } while (answers.containsKey(id));
      return id;
    }

    private byte[] randomBytes(int max) {
      byte[] b = new byte[random.nextInt(max + 1)];
      for (int i = 0; i < b.length; i++) {
        b[i] = (byte) random.nextInt(256);
      }
      return b;
    }

    private static byte[] u64(long value) {
      return ByteBuffer.allocate(8).putLong(value).array();
    }

    private static byte[] u16(int value) {
      return ByteBuffer.allocate(2).putShort((short) value).array();
    }

    private void request(String step, long id, int typeId, byte[] payload, Answer answer) {
      answers.put(id, answer);
      write(step + " #" + id, REQUEST, concat(u64(id), varint(typeId), payload));
    }

    /** A frame after which the connection stays up. */
    void harmlessStep() {
      switch (random.nextInt(9)) {
        case 0 -> {
          Echo echo = randomEcho();
          echoes.add(echo);
          write("DATA " + echo, DATA, concat(varint(ECHO), json(echo)));
        }
        case 1 -> {
          Echo echo = randomEcho();
          request("REQUEST " + echo, newRequestId(), ECHO, json(echo), new Answer(echo, 0, null));
        }
        case 2 -> {
          String rest = randomEcho().text();
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
              randomBytes(10),
              answer(UNKNOWN_TYPE, String.valueOf(typeId)));
        }
        case 4 ->
            request(
                "undecodable REQUEST",
                newRequestId(),
                ECHO,
                UNDECODABLE.get(random.nextInt(UNDECODABLE.size())),
                answer(DECODE_FAILED, "decode"));
        case 5 -> {
          long ping;
          do {
            ping = random.nextLong();
          } while (!pings.add(ping));
          write("PING", PING, u64(ping));
        }
        case 6 -> write("PONG nobody asked for", PONG, u64(random.nextLong()));
        case 7 -> {
          // a RESPONSE to a request the server never sent: ignored, OK or ERROR alike
          byte[] body =
              random.nextBoolean()
                  ? concat(u64(random.nextLong()), new byte[] {0}, varint(ECHO), json(randomEcho()))
                  : concat(u64(random.nextLong()), new byte[] {1}, u16(2), utf8("nope"));
          write("RESPONSE to nothing", RESPONSE, body);
        }
        default -> {
          int type = 0x40 + random.nextInt(0xC0); // ancillary, ACK's 0x40 included
          write("ancillary 0x" + Integer.toHexString(type), type, randomBytes(40));
        }
      }
    }

    private static Answer answer(int errorCode, String messagePart) {
      return new Answer(null, errorCode, messagePart);
    }

    /** The peer's GOAWAY: everything before it is answered, then GOAWAY(NORMAL). */
    void peerGoAway() {
      graceful = true;
      goAwayCode = NORMAL;
      reasonPart = "";
      int code = random.nextInt(14); // whatever code the peer gives, the answer is NORMAL
      write("GOAWAY(" + code + ")", GOAWAY, concat(u16(code), utf8("bye " + code)));
    }

    /** A frame that must end the connection with a GOAWAY naming it. */
    void fatalStep() {
      switch (random.nextInt(13)) {
        case 0 -> {
          int typeId = 2 + random.nextInt(100_000);
          fatal(CODEC_ERROR, "type id " + typeId);
          write("DATA of type " + typeId, DATA, concat(varint(typeId), json(randomEcho())));
        }
        case 1 -> {
          fatal(CODEC_ERROR, "decode");
          byte[] payload = UNDECODABLE.get(random.nextInt(UNDECODABLE.size()));
          write("undecodable DATA", DATA, concat(varint(ECHO), payload));
        }
        case 2 -> wrongLength("PING", PING);
        case 3 -> wrongLength("PONG", PONG);
        case 4 -> {
          int type = 0x09 + random.nextInt(0x40 - 0x09);
          fatal(PROTOCOL_ERROR, String.format("unknown critical frame type 0x%02x", type));
          write("critical 0x" + Integer.toHexString(type), type, randomBytes(10));
        }
        case 5 -> {
          fatal(PROTOCOL_ERROR, "0x00");
          write("type 0x00", 0x00, randomBytes(10));
        }
        case 6 -> {
          int type = random.nextBoolean() ? RawPeer.HELLO : RawPeer.WELCOME;
          fatal(PROTOCOL_ERROR, "after the handshake");
          write("handshake frame 0x0" + type, type, randomBytes(30));
        }
        case 7 -> {
          fatal(PROTOCOL_ERROR, "length 0");
          steps.add("length 0");
          bytes.writeBytes(new byte[] {0, 0, 0, 0, DATA});
        }
        case 8 -> {
          long length = MAX_FRAME_BYTES + 1L + random.nextLong(0xFFFF_FFFFL - MAX_FRAME_BYTES);
          fatal(FRAME_TOO_LARGE, "frame length " + length);
          steps.add("length " + length);
          bytes.writeBytes(ByteBuffer.allocate(5).putInt((int) length).put((byte) DATA).array());
        }
        case 9 -> {
          int status = 2 + random.nextInt(254);
          fatal(PROTOCOL_ERROR, "status " + status);
          write(
              "RESPONSE status " + status,
              RESPONSE,
              concat(u64(random.nextLong()), new byte[] {(byte) status}, randomBytes(10)));
        }
        case 10 -> {
          fatal(PROTOCOL_ERROR, "RESPONSE");
          write("short RESPONSE", RESPONSE, new byte[random.nextInt(9)]);
        }
        case 11 -> {
          fatal(PROTOCOL_ERROR, "REQUEST");
          write("short REQUEST", REQUEST, new byte[random.nextInt(8)]);
        }
        default -> {
          fatal(PROTOCOL_ERROR, "GOAWAY");
          write("short GOAWAY", GOAWAY, new byte[random.nextInt(2)]);
        }
      }
    }

    /** A PING or PONG whose body is not 8 bytes. */
    private void wrongLength(String name, int type) {
      byte[] body = randomBytes(20);
      if (body.length == 8) {
        body = new byte[9 + random.nextInt(12)];
      }
      fatal(PROTOCOL_ERROR, name + " body must be 8 bytes, was " + body.length);
      write(name + " of " + body.length + " bytes", type, body);
    }

    private void fatal(int code, String reasonPart) {
      this.goAwayCode = code;
      this.reasonPart = reasonPart;
    }

    /** Reads what the server sends up to end of stream and holds it against the script. */
    void check(RawPeer peer) throws IOException {
      String script = "script: " + steps;
      int echoed = 0;
      Set<Long> answered = new HashSet<>();
      Set<Long> ponged = new HashSet<>();
      GoAway goAway;
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
            goAway = GoAway.parse(frame.body());
            assertThat(goAway.code()).as("GOAWAY %s; %s", goAway, script).isEqualTo(goAwayCode);
            assertThat(goAway.reason())
                .as("GOAWAY reason; %s", script)
                .isNotBlank()
                .contains(reasonPart);
            if (graceful) {
              assertThat(echoed)
                  .as("every DATA echoed before GOAWAY; %s", script)
                  .isEqualTo(echoes.size());
              assertThat(answered)
                  .as("every REQUEST answered before GOAWAY; %s", script)
                  .isEqualTo(answers.keySet());
              assertThat(ponged)
                  .as("every PING answered before GOAWAY; %s", script)
                  .isEqualTo(pings);
            }
            peer.assertEndOfStream(); // nothing after GOAWAY
            return;
          }
          default -> fail("unexpected %s; %s", frame.describe(), script);
        }
      }
    }

    private void checkResponse(byte[] body, Set<Long> answered, String script) throws IOException {
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
