package dev.tether;

import static dev.tether.testing.RawPeer.DATA;
import static dev.tether.testing.RawPeer.PING;
import static dev.tether.testing.RawPeer.PONG;
import static dev.tether.testing.RawPeer.RESPONSE;
import static dev.tether.testing.RawPeer.concat;
import static dev.tether.testing.RawPeer.utf8;
import static dev.tether.testing.RawPeer.varint;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.internal.wire.Preamble;
import dev.tether.testing.Hex;
import dev.tether.testing.RawPeer;
import dev.tether.testing.RawPeer.Frame;
import dev.tether.testing.RawPeer.GoAway;
import dev.tether.testing.RawPeer.Hello;
import dev.tether.testing.RawPeer.Welcome;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Speaks raw bytes to a real server over a blocking socket, so the wire format of PROTOCOL.md is
 * checked independently of the engine's own encoders. Frames are written and parsed by hand in
 * {@link RawPeer}; every read is bounded by its socket timeout.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class WireLevelServerTest {
  private static final MessageTypes ECHO_TYPES =
      MessageTypes.builder("tether-echo").register(1, "echo.Echo", byte[].class).build();

  /** Computed from the §5 text here, not taken from {@link MessageTypes#fingerprint()}. */
  private static final long ECHO_FINGERPRINT = RawPeer.fingerprint("tether-echo\n1=echo.Echo\n");

  private static final int ECHO = 1; // the echo type id
  private static final int UNREGISTERED = 9;

  private final List<AutoCloseable> resources = new ArrayList<>();

  @AfterEach
  void closeResources() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  /** Binds an echo server (PROTOCOL.md §10 behaviour) with the {@code bytes} codec. */
  private Server<byte[], byte[]> echoServer(String name, Consumer<TetherConfig.Builder> tuning) {
    TetherConfig.Builder config = TetherConfig.builder().codecs("bytes");
    tuning.accept(config);
    Server<byte[], byte[]> server =
        Tether.<byte[], byte[]>server(ECHO_TYPES)
            .config(config.build())
            .name(name)
            .onMessage((connection, message) -> connection.send(message))
            .onRequest(
                (connection, request) -> {
                  String text = new String(request, StandardCharsets.UTF_8);
                  if (text.startsWith("fail:")) {
                    throw new IllegalStateException(text.substring("fail:".length()));
                  }
                  return request;
                })
            .bind(new InetSocketAddress("127.0.0.1", 0));
    resources.add(() -> server.close(Duration.ofSeconds(3)));
    return server;
  }

  private Server<byte[], byte[]> echoServer() {
    return echoServer("", config -> {});
  }

  private RawPeer connect(Server<?, ?> server) throws IOException {
    RawPeer peer = RawPeer.connect(server.address());
    resources.add(peer);
    return peer;
  }

  /**
   * Connects and completes a handshake with a default HELLO: bytes codec, no heartbeat, no idle.
   */
  private RawPeer connected(Server<?, ?> server) throws IOException {
    RawPeer peer = connect(server);
    peer.handshake(new Hello());
    return peer;
  }

  private static void assertEchoed(RawPeer peer, String text) throws IOException {
    peer.writeData(ECHO, utf8(text));

    Frame frame = peer.readFrame();
    assertThat(frame.type()).as(frame.describe()).isEqualTo(DATA);
    assertThat(Hex.encode(frame.body())).isEqualTo(Hex.encode(concat(varint(ECHO), utf8(text))));
  }

  private static long millisSince(long startNanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
  }

  // ------------------------------------------------------------------ handshake accepted

  @Test
  void answersAValidHelloWithPreambleAndAWelcomeCarryingItsOwnSettings() throws IOException {
    RawPeer peer = connect(echoServer());

    Welcome welcome = peer.handshake(new Hello());

    assertThat(welcome.minorVersion()).isZero();
    assertThat(welcome.nodeId()).isZero();
    assertThat(welcome.appProtocol()).isEqualTo("tether-echo");
    assertThat(welcome.schemaFingerprint()).isEqualTo(ECHO_FINGERPRINT);
    assertThat(welcome.codec()).isEqualTo("bytes");
    assertThat(welcome.serverName()).isEmpty();
    assertThat(welcome.maxFrameSize()).isEqualTo(16 * 1024 * 1024);
    assertThat(welcome.heartbeatMillis())
        .isEqualTo(TetherConfig.DEFAULT_HEARTBEAT_INTERVAL.toMillis());
    assertThat(welcome.idleTimeoutMillis()).isEqualTo(TetherConfig.DEFAULT_IDLE_TIMEOUT.toMillis());
    assertThat(welcome.extensions()).isEmpty();
  }

  @Test
  void welcomeCarriesTheConfiguredNodeIdNameAndLimitsInTheirFields() throws IOException {
    Server<byte[], byte[]> server =
        echoServer(
            "alpha",
            config ->
                config
                    .nodeId(0x0102030405060708L)
                    .maxFrameBytes(65_536)
                    .heartbeatInterval(Duration.ofMillis(1234))
                    .idleTimeout(Duration.ofMillis(98_765)));
    RawPeer peer = connect(server);

    Welcome welcome = peer.handshake(new Hello().serverName("alpha"));

    assertThat(welcome.nodeId()).isEqualTo(0x0102030405060708L);
    assertThat(welcome.serverName()).isEqualTo("alpha");
    assertThat(welcome.maxFrameSize()).isEqualTo(65_536);
    assertThat(welcome.heartbeatMillis()).isEqualTo(1234);
    assertThat(welcome.idleTimeoutMillis()).isEqualTo(98_765);
  }

  @Test
  void choosesTheFirstOfferedCodecThatTheServerSupports() throws IOException {
    RawPeer peer = connect(echoServer());

    Welcome welcome = peer.handshake(new Hello().codecs("kryo", "bytes", "json"));

    assertThat(welcome.codec()).isEqualTo("bytes");
  }

  @Test
  void acceptsAClientThatLeavesTheServerNameEmpty() throws IOException {
    RawPeer peer = connect(echoServer("alpha", config -> {}));

    Welcome welcome = peer.handshake(new Hello().serverName(""));

    assertThat(welcome.serverName()).isEqualTo("alpha");
  }

  // ------------------------------------------------------------------ messages

  @Test
  void echoesADataFrame() throws IOException {
    RawPeer peer = connected(echoServer());

    assertEchoed(peer, "hello, wire");
    assertEchoed(peer, "héllo 𝄞 again");
  }

  @Test
  void answersARequestWithAnOkResponseCarryingTheSameId() throws IOException {
    RawPeer peer = connected(echoServer());

    peer.writeRequest(0x1122334455667788L, ECHO, utf8("question"));

    Frame response = peer.readFrame();
    assertThat(response.type()).as(response.describe()).isEqualTo(RESPONSE);
    assertThat(Hex.encode(response.body()))
        .isEqualTo(
            "1122334455667788" // the request's id
                + "00" // status OK
                + "01" // varint type id 1
                + Hex.encode(utf8("question"))); // the echoed payload
  }

  @Test
  void answersPipelinedRequestsEachWithItsOwnId() throws IOException {
    RawPeer peer = connected(echoServer());
    ByteArrayOutputStream three = new ByteArrayOutputStream();
    for (long id = 1; id <= 3; id++) {
      byte[] body =
          concat(ByteBuffer.allocate(8).putLong(id).array(), varint(ECHO), utf8("q" + id));
      three.writeBytes(RawPeer.frame(RawPeer.REQUEST, body));
    }

    peer.write(three.toByteArray()); // three requests in one write

    Map<Long, String> answers = new HashMap<>();
    for (int i = 0; i < 3; i++) {
      ByteBuffer body = peer.readFrame().buffer();
      long id = body.getLong();
      assertThat(body.get()).as("status").isZero();
      assertThat(body.get()).as("type id").isEqualTo((byte) ECHO);
      answers.put(id, StandardCharsets.UTF_8.decode(body).toString());
    }
    assertThat(answers).containsExactlyInAnyOrderEntriesOf(Map.of(1L, "q1", 2L, "q2", 3L, "q3"));
  }

  @Test
  void answersAFailingRequestWithHandlerFailedAndTheFailureMessage() throws IOException {
    RawPeer peer = connected(echoServer());

    peer.writeRequest(7, ECHO, utf8("fail:boom"));

    Frame response = peer.readFrame();
    assertThat(response.type()).as(response.describe()).isEqualTo(RESPONSE);
    ByteBuffer body = response.buffer();
    assertThat(body.getLong()).as("request id").isEqualTo(7);
    assertThat(body.get()).as("status ERROR").isEqualTo((byte) 1);
    assertThat(body.getShort()).as("errorCode HANDLER_FAILED").isEqualTo((short) 2);
    assertThat(StandardCharsets.UTF_8.decode(body).toString()).isEqualTo("boom");
    assertEchoed(peer, "still up");
  }

  @Test
  void answersARequestOfAnUnregisteredTypeWithUnknownTypeAndStaysUp() throws IOException {
    RawPeer peer = connected(echoServer());

    peer.writeRequest(8, UNREGISTERED, utf8("who am I"));

    Frame response = peer.readFrame();
    assertThat(response.type()).as(response.describe()).isEqualTo(RESPONSE);
    assertThat(Hex.encode(response.body()))
        .isEqualTo(
            "0000000000000008" // request id 8
                + "01" // status ERROR
                + "0004" // errorCode UNKNOWN_TYPE
                + Hex.encode(utf8("type id 9 is not registered"))); // message
    peer.writeFrame(PING, Hex.decode("0102030405060708"));
    Frame pong = peer.readFrame();
    assertThat(pong.type()).as(pong.describe()).isEqualTo(PONG);
  }

  @Test
  void answersARequestWithNoHandlerWithNoHandler() throws IOException {
    Server<byte[], byte[]> server =
        Tether.<byte[], byte[]>server(ECHO_TYPES)
            .codecs("bytes")
            .onMessage((connection, message) -> {})
            .bind(new InetSocketAddress("127.0.0.1", 0));
    resources.add(() -> server.close(Duration.ofSeconds(3)));
    RawPeer peer = connected(server);

    peer.writeRequest(5, ECHO, utf8("anyone?"));

    assertThat(Hex.encode(peer.readFrame().body()))
        .isEqualTo(
            "0000000000000005" // request id 5
                + "01" // status ERROR
                + "0001" // errorCode NO_HANDLER
                + Hex.encode(utf8("no request handler"))); // message
  }

  @Test
  void closesWithCodecErrorOnDataOfAnUnregisteredType() throws IOException {
    RawPeer peer = connected(echoServer());

    peer.writeData(UNREGISTERED, utf8("nobody to answer"));

    GoAway goAway = peer.readGoAway();
    assertThat(goAway.code()).isEqualTo(13); // CODEC_ERROR
    assertThat(goAway.reason()).isEqualTo("DATA with type id 9, which is not registered");
    peer.assertEndOfStream();
  }

  @Test
  void answersPingWithPongCarryingTheSameEightBytes() throws IOException {
    RawPeer peer = connected(echoServer());

    peer.writeFrame(PING, Hex.decode("deadbeefcafef00d"));

    Frame pong = peer.readFrame();
    assertThat(pong.type()).as(pong.describe()).isEqualTo(PONG);
    assertThat(Hex.encode(pong.body())).isEqualTo("deadbeefcafef00d");
  }

  @Test
  void answersEveryPingOfABurstWithItsOwnPongInOrder() throws IOException {
    RawPeer peer = connected(echoServer());
    byte[] burst = new byte[0];
    for (int i = 1; i <= 5; i++) {
      burst = concat(burst, RawPeer.frame(PING, Hex.decode("00000000000000" + "0" + i)));
    }

    peer.write(burst); // five PINGs in one read: none may go unanswered (PROTOCOL.md §6)
    peer.writeData(ECHO, utf8("after the burst"));

    List<String> pongs = new ArrayList<>();
    Frame frame = peer.readFrame();
    while (frame.type() == PONG) {
      pongs.add(Hex.encode(frame.body()));
      frame = peer.readFrame();
    }
    assertThat(frame.type()).as(frame.describe()).isEqualTo(DATA);
    assertThat(pongs)
        .containsExactly(
            "0000000000000001",
            "0000000000000002",
            "0000000000000003",
            "0000000000000004",
            "0000000000000005");
  }

  @Test
  void closesWithProtocolErrorOnAPingThatIsNotEightBytes() throws IOException {
    RawPeer peer = connected(echoServer());

    peer.writeFrame(PING, Hex.decode("01020304"));

    GoAway goAway = peer.readGoAway();
    assertThat(goAway.code()).isEqualTo(1); // PROTOCOL_ERROR
    assertThat(goAway.reason()).isEqualTo("PING body must be 8 bytes, was 4");
    peer.assertEndOfStream();
  }

  @Test
  void skipsAnUnknownAncillaryFrameSilently() throws IOException {
    RawPeer peer = connected(echoServer());

    peer.writeFrame(0x41, utf8("an extension this server does not know"));
    peer.writeFrame(0xFF, new byte[0]); // the highest ancillary type, no body

    assertEchoed(peer, "after the unknown frames");
  }

  @Test
  void skipsAnAckOfAnyBodyOnASessionThatDidNotNegotiateResumption() throws IOException {
    RawPeer peer = connected(echoServer());

    // 0x40 is ACK only in resumable sessions (docs/PROTOCOL.md §13); elsewhere it is an ancillary
    // type like any other, and a peer built on the shared protocol alone may send it with any body
    peer.writeFrame(0x40, utf8("not eight bytes"));
    peer.writeFrame(0x40, new byte[0]);
    peer.writeFrame(0x40, new byte[8]);

    assertEchoed(peer, "after the ACK-typed frames");
  }

  @Test
  void closesWithProtocolErrorNamingAnUnknownCriticalType() throws IOException {
    RawPeer peer = connected(echoServer());

    peer.writeFrame(0x3A, utf8("critical"));

    GoAway goAway = peer.readGoAway();
    assertThat(goAway.code()).isEqualTo(1); // PROTOCOL_ERROR
    assertThat(goAway.reason()).isEqualTo("unknown critical frame type 0x3a");
    peer.assertEndOfStream();
  }

  // ------------------------------------------------------------------ frame limits

  @Test
  void closesWithFrameTooLargeOnAHugeLengthAndKeepsServingOtherClients() throws IOException {
    Server<byte[], byte[]> server = echoServer();
    RawPeer hostile = connected(server);
    RawPeer bystander = connected(server);

    hostile.writeHex(
        "7fffffff" // length 2^31-1
            + "03"); // type DATA; the body never comes

    GoAway goAway = hostile.readGoAway();
    assertThat(goAway.code()).isEqualTo(6); // FRAME_TOO_LARGE
    assertThat(goAway.reason())
        .isEqualTo("frame length 2147483647 exceeds the limit of 16777216 bytes");
    hostile.assertEndOfStream();
    assertEchoed(bystander, "still served");
  }

  @Test
  void closesWithFrameTooLargeOnALengthJustAboveTheConfiguredLimit() throws IOException {
    RawPeer peer = connected(echoServer("", config -> config.maxFrameBytes(4096)));

    peer.writeHex("00001001" + "03"); // length 4097, type DATA

    GoAway goAway = peer.readGoAway();
    assertThat(goAway.code()).isEqualTo(6); // FRAME_TOO_LARGE
    assertThat(goAway.reason()).isEqualTo("frame length 4097 exceeds the limit of 4096 bytes");
    peer.assertEndOfStream();
  }

  @Test
  void closesWithProtocolErrorOnAZeroLength() throws IOException {
    RawPeer peer = connected(echoServer());

    peer.writeHex("00000000"); // length 0: not even a type byte

    GoAway goAway = peer.readGoAway();
    assertThat(goAway.code()).isEqualTo(1); // PROTOCOL_ERROR
    assertThat(goAway.reason()).isEqualTo("frame length 0: a frame holds at least its type byte");
    peer.assertEndOfStream();
  }

  @Test
  void neverSendsAResponseLargerThanTheClientsMaxFrameSize() throws IOException {
    RawPeer peer = connect(echoServer());
    peer.handshake(new Hello().maxFrameSize(1024));
    String big = "x".repeat(1500); // the server accepts it; the echo would not fit the client

    peer.writeRequest(3, ECHO, utf8(big));

    Frame response = peer.readFrame(); // readFrame itself checks the length
    assertThat(response.body().length + 1).isLessThanOrEqualTo(1024);
    ByteBuffer body = response.buffer();
    assertThat(body.getLong()).as("request id").isEqualTo(3);
    assertThat(body.get()).as("status ERROR").isEqualTo((byte) 1);
    assertThat(body.getShort()).as("errorCode HANDLER_FAILED").isEqualTo((short) 2);
    assertThat(UTF_8.decode(body).toString())
        .startsWith("response could not be sent: ")
        .contains("accepts at most 1024");
    assertEchoed(peer, "the connection stays up");
  }

  @Test
  void cutsAGoAwayReasonToFitTheClientsMaxFrameSize() throws IOException {
    Server<byte[], byte[]> server =
        Tether.<byte[], byte[]>server(ECHO_TYPES)
            .codecs("bytes")
            .onMessage(
                (connection, message) -> {
                  throw new IllegalStateException("z".repeat(2000)); // a very long failure
                })
            .bind(new InetSocketAddress("127.0.0.1", 0));
    resources.add(() -> server.close(Duration.ofSeconds(3)));
    RawPeer peer = connect(server);
    peer.handshake(new Hello().maxFrameSize(1024)); // the smallest limit a peer may announce

    peer.writeData(ECHO, utf8("make the handler fail"));

    Frame frame = peer.readFrame();
    assertThat(frame.type()).as(frame.describe()).isEqualTo(RawPeer.GOAWAY);
    GoAway goAway = GoAway.parse(frame.body());
    assertThat(goAway.code()).isEqualTo(11); // INTERNAL_ERROR
    assertThat(goAway.reason()).startsWith("the peer's message handler failed: ");
    assertThat(1 + frame.body().length).as("frame length").isLessThanOrEqualTo(1024);
    peer.assertEndOfStream();
  }

  @Test
  void closesWithProtocolErrorOnASecondHello() throws IOException {
    RawPeer peer = connected(echoServer());

    peer.writeFrame(RawPeer.HELLO, new Hello().body());

    GoAway goAway = peer.readGoAway();
    assertThat(goAway.code()).isEqualTo(1); // PROTOCOL_ERROR
    assertThat(goAway.reason()).isEqualTo("HELLO after the handshake has completed");
    peer.assertEndOfStream();
  }

  @Test
  void limitsFramesTo64KiBBeforeTheHandshake() throws IOException {
    RawPeer peer = connect(echoServer());

    peer.write(concat(RawPeer.PREAMBLE, Hex.decode("00010001" + "01"))); // HELLO of 65537

    GoAway goAway = peer.readRefusal();
    assertThat(goAway.code()).isEqualTo(6); // FRAME_TOO_LARGE
    assertThat(goAway.reason()).isEqualTo("frame length 65537 exceeds the limit of 65536 bytes");
  }

  // ------------------------------------------------------------------ handshake refused

  @Test
  void refusesAMismatchedAppProtocolNamingBothSides() throws IOException {
    RawPeer peer = connect(echoServer());
    long chatFingerprint = RawPeer.fingerprint("tether-chat\n1=chat.Line\n");

    peer.writePreambleAndHello(
        new Hello().appProtocol("tether-chat").schemaFingerprint(chatFingerprint));

    GoAway goAway = peer.readRefusal();
    assertThat(goAway.code()).isEqualTo(3); // APP_PROTOCOL_MISMATCH
    assertThat(goAway.reason())
        .isEqualTo(
            String.format(
                "app protocol mismatch: client has 'tether-chat' with schema fingerprint %016x,"
                    + " server has 'tether-echo' with schema fingerprint %016x",
                chatFingerprint, ECHO_FINGERPRINT));
  }

  @Test
  void refusesAMismatchedSchemaFingerprintNamingBothValues() throws IOException {
    RawPeer peer = connect(echoServer());
    long other = RawPeer.fingerprint("tether-echo\n1=echo.EchoV2\n");

    peer.writePreambleAndHello(new Hello().schemaFingerprint(other));

    GoAway goAway = peer.readRefusal();
    assertThat(goAway.code()).isEqualTo(3); // APP_PROTOCOL_MISMATCH
    assertThat(goAway.reason())
        .isEqualTo(
            String.format(
                "app protocol mismatch: client has 'tether-echo' with schema fingerprint %016x,"
                    + " server has 'tether-echo' with schema fingerprint %016x (same protocol,"
                    + " different message types: register the same ids and names on both sides)",
                other, ECHO_FINGERPRINT));
  }

  @Test
  void refusesAClientWithNoCommonCodecListingBothSets() throws IOException {
    RawPeer peer = connect(echoServer());

    peer.writePreambleAndHello(new Hello().codecs("kryo"));

    GoAway goAway = peer.readRefusal();
    assertThat(goAway.code()).isEqualTo(4); // NO_COMMON_CODEC
    assertThat(goAway.reason())
        .isEqualTo("codec mismatch: client offers [kryo], server supports [bytes]");
  }

  @Test
  void refusesAClientExpectingAnotherServerNameNamingBoth() throws IOException {
    RawPeer peer = connect(echoServer("alpha", config -> {}));

    peer.writePreambleAndHello(new Hello().serverName("beta"));

    GoAway goAway = peer.readRefusal();
    assertThat(goAway.code()).isEqualTo(5); // SERVER_NAME_MISMATCH
    assertThat(goAway.reason())
        .isEqualTo("server name mismatch: client expects 'beta', this server is 'alpha'");
  }

  @Test
  void refusesATruncatedHelloWithProtocolError() throws IOException {
    RawPeer peer = connect(echoServer());
    byte[] truncated =
        Hex.decode(
            "0000" // minorVersion
                + "0000000000000000" // nodeId
                + "000b" // appProtocol claims 11 bytes...
                + "746574686572"); // ...and the frame ends after 6 ("tether")

    peer.write(concat(RawPeer.PREAMBLE, RawPeer.frame(RawPeer.HELLO, truncated)));

    GoAway goAway = peer.readRefusal();
    assertThat(goAway.code()).isEqualTo(1); // PROTOCOL_ERROR
    assertThat(goAway.reason())
        .isEqualTo("truncated frame: HELLO appProtocol needs 11 bytes, 6 remain");
  }

  @Test
  void refusesAHelloWithMaxFrameSizeBelow1024() throws IOException {
    RawPeer peer = connect(echoServer());

    peer.writePreambleAndHello(new Hello().maxFrameSize(512));

    GoAway goAway = peer.readRefusal();
    assertThat(goAway.code()).isEqualTo(1); // PROTOCOL_ERROR
    assertThat(goAway.reason()).isEqualTo("HELLO maxFrameSize 512 is below the minimum of 1024");
  }

  @Test
  void refusesAFirstFrameOtherThanHello() throws IOException {
    RawPeer peer = connect(echoServer());

    peer.write(
        concat(RawPeer.PREAMBLE, RawPeer.frame(DATA, concat(varint(ECHO), utf8("too soon")))));

    GoAway goAway = peer.readRefusal();
    assertThat(goAway.code()).isEqualTo(1); // PROTOCOL_ERROR
    assertThat(goAway.reason()).isEqualTo("expected HELLO as the client's first frame, got DATA");
  }

  // ------------------------------------------------------------------ preamble

  @Test
  void closesANonTetherClientWithoutWritingAnythingAndLogsWhatItSent() throws IOException {
    RawPeer peer = connect(echoServer());
    try (CapturedOutput output = new CapturedOutput()) {
      peer.write("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));

      peer.assertEndOfStream(); // not one byte came back before the close

      String expected =
          "closing connection from 127.0.0.1:"
              + peer.localPort()
              + ": not a Tether client, it sent \"GET / HT\" (47 45 54 20 2f 20 48 54)";
      await().atMost(Duration.ofSeconds(5)).until(() -> output.text().contains(expected));
    }
    assertThat(Preamble.describe(utf8("GET / HT"), 8))
        .isEqualTo("\"GET / HT\" (47 45 54 20 2f 20 48 54)");
  }

  @Test
  void closesAClientOfAnotherMajorVersionWithoutWritingAndLogsTheVersion() throws IOException {
    RawPeer peer = connect(echoServer());
    try (CapturedOutput output = new CapturedOutput()) {
      peer.writeHex("544554484552 00 02"); // "TETHER", 0, major version 2

      peer.assertEndOfStream();

      String expected =
          "closing connection from 127.0.0.1:"
              + peer.localPort()
              + ": it speaks Tether protocol major version 2, not 1";
      await().atMost(Duration.ofSeconds(5)).until(() -> output.text().contains(expected));
    }
  }

  // ------------------------------------------------------------------ timeouts and heartbeats

  @Test
  void closesASilentClientWithHandshakeTimeout() throws IOException {
    long start = System.nanoTime();
    RawPeer peer =
        connect(echoServer("", config -> config.handshakeTimeout(Duration.ofMillis(300))));

    GoAway goAway = peer.readRefusal(); // without having written a byte

    assertThat(millisSince(start)).isGreaterThanOrEqualTo(300);
    assertThat(goAway.code()).isEqualTo(12); // HANDSHAKE_TIMEOUT
    assertThat(goAway.reason())
        .isEqualTo(
            "no complete HELLO from 127.0.0.1:"
                + peer.localPort()
                + " within the handshake timeout of 300 ms");
  }

  @Test
  void closesAClientThatSendsHalfAHelloWithHandshakeTimeout() throws IOException {
    RawPeer peer =
        connect(echoServer("", config -> config.handshakeTimeout(Duration.ofMillis(300))));
    byte[] hello = RawPeer.frame(RawPeer.HELLO, new Hello().body());

    peer.write(concat(RawPeer.PREAMBLE, java.util.Arrays.copyOf(hello, 20))); // then nothing

    GoAway goAway = peer.readRefusal();
    assertThat(goAway.code()).isEqualTo(12); // HANDSHAKE_TIMEOUT
  }

  @Test
  void closesASilentPeerWithIdleTimeout() throws IOException {
    Server<byte[], byte[]> server =
        echoServer(
            "",
            config -> config.idleTimeout(Duration.ofMillis(300)).heartbeatInterval(Duration.ZERO));
    long start = System.nanoTime();
    RawPeer peer = connect(server);
    peer.handshake(new Hello().heartbeatMillis(0).idleTimeoutMillis(0));

    GoAway goAway = peer.readGoAway(); // nothing else was sent: no PING either way

    assertThat(millisSince(start)).isGreaterThanOrEqualTo(300);
    assertThat(goAway.code()).isEqualTo(7); // IDLE_TIMEOUT
    assertThat(goAway.reason())
        .matches(
            "no frame received from 127\\.0\\.0\\.1:"
                + peer.localPort()
                + " for \\d+ ms \\(idle timeout 300 ms\\)");
    peer.assertEndOfStream();
  }

  @Test
  void pingsAnIdleClientAtItsOwnHeartbeatInterval() throws IOException {
    Server<byte[], byte[]> server =
        echoServer(
            "",
            config -> config.heartbeatInterval(Duration.ofMillis(100)).idleTimeout(Duration.ZERO));
    long start = System.nanoTime();
    RawPeer peer = connect(server);
    peer.handshake(new Hello().heartbeatMillis(0).idleTimeoutMillis(0));
    peer.readTimeout(2000);

    Frame ping = peer.readFrame();

    assertThat(ping.type()).as(ping.describe()).isEqualTo(PING);
    assertThat(ping.body()).hasSize(8);
    assertThat(millisSince(start)).isGreaterThanOrEqualTo(100);
    peer.writeFrame(PONG, ping.body());
    Frame next = peer.readFrame();
    assertThat(next.type()).as("pings go on while idle: %s", next.describe()).isEqualTo(PING);
  }

  @Test
  void pingsOnlyOnceItHasSentNothingForAHeartbeat() throws IOException {
    // §8: frames are signs of life. Echoes every ~50 ms keep a 200 ms heartbeat from firing; the
    // bound holds however late a reading thread runs, since every echo left after its request.
    Server<byte[], byte[]> server =
        echoServer(
            "",
            config -> config.heartbeatInterval(Duration.ofMillis(200)).idleTimeout(Duration.ZERO));
    RawPeer peer = connect(server);
    peer.handshake(new Hello().heartbeatMillis(0).idleTimeoutMillis(0));
    peer.readTimeout(3000); // the PING after the last echo must come well within this

    long lastEchoedWrite = System.nanoTime(); // the WELCOME was the server's last frame so far
    for (int i = 0; i < 20; i++) {
      long written = System.nanoTime();
      peer.writeData(ECHO, utf8("tick " + i));
      Frame frame = peer.readFrame();
      while (frame.type() == PING) {
        assertThat(millisSince(lastEchoedWrite))
            .as("PING %d ms after a frame", millisSince(lastEchoedWrite))
            .isGreaterThanOrEqualTo(200);
        peer.writeFrame(PONG, frame.body());
        frame = peer.readFrame();
      }
      assertThat(frame.type()).as(frame.describe()).isEqualTo(DATA);
      lastEchoedWrite = written;
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50)); // pacing, not waiting
    }

    Frame ping = peer.readFrame();
    assertThat(ping.type()).as(ping.describe()).isEqualTo(PING);
    assertThat(millisSince(lastEchoedWrite)).isGreaterThanOrEqualTo(200);
  }

  @Test
  void pingsAnIdleClientAtAThirdOfTheClientsIdleTimeout() throws IOException {
    // The server's own heartbeat (5 s by default) is far longer than 300 ms / 3 = 100 ms.
    Server<byte[], byte[]> server = echoServer("", config -> config.idleTimeout(Duration.ZERO));
    long start = System.nanoTime();
    RawPeer peer = connect(server);
    peer.handshake(new Hello().heartbeatMillis(0).idleTimeoutMillis(300));
    peer.readTimeout(2000); // well below the server's own 5 s heartbeat

    Frame ping = peer.readFrame();

    assertThat(ping.type()).as(ping.describe()).isEqualTo(PING);
    assertThat(ping.body()).hasSize(8);
    assertThat(millisSince(start)).isGreaterThanOrEqualTo(100);
  }

  @Test
  void aClientAnnouncingATinyIdleTimeoutIsNotPingedMoreOftenThanEvery50Ms() throws IOException {
    // 3 ms / 3 = a PING every millisecond, for as long as the client likes: a thousand frames a
    // second the server would write to one socket at a stranger's word
    Server<byte[], byte[]> server = echoServer("", config -> config.idleTimeout(Duration.ZERO));
    RawPeer peer = connect(server);
    peer.handshake(new Hello().heartbeatMillis(0).idleTimeoutMillis(3));
    peer.readTimeout(200);

    long start = System.nanoTime();
    int pings = 0;
    while (millisSince(start) < 1000) {
      Frame frame = peer.readFrame();
      assertThat(frame.type()).as(frame.describe()).isEqualTo(PING);
      pings++;
    }

    assertThat(pings).as("PINGs in a second").isBetween(10, 22);
  }

  // ------------------------------------------------------------------ closing

  @Test
  void answersTheClientsGoAwayWithGoAwayNormalThenEndOfStream() throws IOException {
    Server<byte[], byte[]> server = echoServer();
    RawPeer peer = connected(server);
    await().atMost(Duration.ofSeconds(5)).until(() -> server.connections().size() == 1);

    peer.writeGoAway(0, "client done");

    GoAway goAway = peer.readGoAway();
    assertThat(goAway.code()).isEqualTo(0); // NORMAL
    peer.assertEndOfStream();
    await().atMost(Duration.ofSeconds(5)).until(() -> server.connections().isEmpty());
  }

  @Test
  void deliversDataSentJustBeforeTheClientsGoAway() throws Exception {
    BlockingQueue<String> received = new LinkedBlockingQueue<>();
    Server<byte[], byte[]> server =
        Tether.<byte[], byte[]>server(ECHO_TYPES)
            .codecs("bytes")
            .onMessage((connection, message) -> received.add(new String(message, UTF_8)))
            .bind(new InetSocketAddress("127.0.0.1", 0));
    resources.add(() -> server.close(Duration.ofSeconds(3)));
    RawPeer peer = connected(server);

    peer.write(
        concat(
            RawPeer.frame(DATA, concat(varint(ECHO), utf8("last words"))),
            RawPeer.frame(RawPeer.GOAWAY, Hex.decode("0000")))); // GOAWAY NORMAL, no reason

    assertThat(peer.readGoAway().code()).isEqualTo(0); // NORMAL
    peer.assertEndOfStream();
    assertThat(received.poll(5, TimeUnit.SECONDS)).isEqualTo("last words");
  }

  @Test
  void sendsShuttingDownToConnectedClientsWhenTheServerCloses() throws Exception {
    Server<byte[], byte[]> server = echoServer();
    RawPeer peer = connected(server);
    await().atMost(Duration.ofSeconds(5)).until(() -> server.connections().size() == 1);

    CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);

    GoAway goAway = peer.readGoAway();
    assertThat(goAway.code()).isEqualTo(8); // SHUTTING_DOWN
    assertThat(goAway.reason()).isEqualTo("the server is shutting down");
    peer.assertEndOfStream();
    peer.writeGoAway(0, "ok, bye"); // the peer's answer lets the server finish at once
    closing.get(5, TimeUnit.SECONDS);
  }

  /**
   * A socket that has not finished its HELLO (a port scanner, a health check that only connects, a
   * client cut off mid-handshake) has nothing to deliver: it is told that the server is shutting
   * down and let go, rather than holding the server's close up for the drain timeout.
   */
  @Test
  void socketsStillInTheirHandshakeAreToldAndDoNotHoldUpTheServersClose() throws Exception {
    Server<byte[], byte[]> server = echoServer(); // drain timeout: the default 5 s
    RawPeer open = connected(server);
    RawPeer silent = connect(server);
    RawPeer halfway = connect(server);
    halfway.write(
        concat(
            RawPeer.PREAMBLE,
            java.util.Arrays.copyOf(RawPeer.frame(RawPeer.HELLO, new Hello().body()), 9)));
    await().atMost(Duration.ofSeconds(5)).until(() -> server.metrics().acceptedConnections() == 3);

    long start = System.nanoTime();
    CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
    assertThat(open.readGoAway().code()).isEqualTo(8); // SHUTTING_DOWN
    open.writeGoAway(0, "ok, bye");

    closing.get(5, TimeUnit.SECONDS);
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))
        .as("ms the server's close took, its drain timeout being 5000")
        .isLessThan(2000);
    for (RawPeer peer : List.of(silent, halfway)) {
      GoAway refusal = peer.readRefusal();
      assertThat(refusal.code()).isEqualTo(8); // SHUTTING_DOWN
      assertThat(refusal.reason()).isEqualTo("the server is shutting down");
      peer.assertEndOfStream();
    }
  }

  /**
   * PROTOCOL.md §8, the closing side's step 2: DATA that crossed the server's GOAWAY still reaches
   * its handler, whose echo can no longer be written. The send that refuses it is the close at
   * work, not a failing handler: the close stays graceful, and later DATA is handled too.
   */
  @Test
  void anEchoOfDataThatCrossedTheShutdownIsRefusedWithoutFailingTheClose() throws Exception {
    BlockingQueue<String> handled = new LinkedBlockingQueue<>();
    CompletableFuture<ConnectionClosedException> closed = new CompletableFuture<>();
    Server<byte[], byte[]> server =
        Tether.<byte[], byte[]>server(ECHO_TYPES)
            .codecs("bytes")
            .onMessage(
                (connection, message) -> {
                  handled.add(new String(message, UTF_8));
                  connection.send(message); // refused: this side's GOAWAY is out
                })
            .onClose((connection, cause) -> closed.complete(cause))
            .bind(new InetSocketAddress("127.0.0.1", 0));
    resources.add(() -> server.close(Duration.ofSeconds(3)));
    RawPeer peer = connected(server);
    await().atMost(Duration.ofSeconds(5)).until(() -> server.connections().size() == 1);

    CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
    assertThat(peer.readGoAway().code()).isEqualTo(8); // SHUTTING_DOWN
    peer.write(
        concat(
            RawPeer.frame(DATA, concat(varint(ECHO), utf8("crossed 1"))),
            RawPeer.frame(DATA, concat(varint(ECHO), utf8("crossed 2"))),
            RawPeer.frame(RawPeer.GOAWAY, Hex.decode("0000"))));
    peer.assertEndOfStream();

    closing.get(5, TimeUnit.SECONDS);
    ConnectionClosedException cause = closed.get(5, TimeUnit.SECONDS);
    assertThat(cause.isGraceful()).as(cause.reason()).isTrue();
    assertThat(cause.code()).isEqualTo(GoAwayCode.SHUTTING_DOWN);
    assertThat(handled.poll(5, TimeUnit.SECONDS)).isEqualTo("crossed 1");
    assertThat(handled.poll(5, TimeUnit.SECONDS)).isEqualTo("crossed 2");
  }

  /**
   * Copies everything written to System.out and System.err while open, so that a test can look for
   * a log line; slf4j-simple resolves those streams at each write.
   */
  private static final class CapturedOutput implements AutoCloseable {
    private final PrintStream originalOut = System.out;
    private final PrintStream originalErr = System.err;
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

    CapturedOutput() {
      System.setOut(new PrintStream(new Tee(originalOut), true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(new Tee(originalErr), true, StandardCharsets.UTF_8));
    }

    String text() {
      synchronized (captured) {
        return captured.toString(StandardCharsets.UTF_8);
      }
    }

    @Override
    public void close() {
      System.setOut(originalOut);
      System.setErr(originalErr);
    }

    private final class Tee extends OutputStream {
      private final OutputStream original;

      Tee(OutputStream original) {
        this.original = original;
      }

      @Override
      public void write(int b) {
        synchronized (captured) {
          captured.write(b);
        }
        try {
          original.write(b);
        } catch (IOException e) {
          // the copy is what matters
        }
      }

      @Override
      public void write(byte[] b, int off, int len) {
        synchronized (captured) {
          captured.write(b, off, len);
        }
        try {
          original.write(b, off, len);
        } catch (IOException e) {
          // the copy is what matters
        }
      }

      @Override
      public void flush() throws IOException {
        original.flush();
      }
    }
  }
}
