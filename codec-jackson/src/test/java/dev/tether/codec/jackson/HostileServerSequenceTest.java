package dev.tether.codec.jackson;

import static dev.tether.codec.jackson.HostileFrames.ECHO;
import static dev.tether.codec.jackson.HostileFrames.FINGERPRINT;
import static dev.tether.codec.jackson.HostileFrames.MAX_FRAME_BYTES;
import static dev.tether.codec.jackson.HostileFrames.NORMAL;
import static dev.tether.codec.jackson.HostileFrames.TYPES;
import static dev.tether.codec.jackson.HostileFrames.echoIn;
import static dev.tether.codec.jackson.HostileFrames.json;
import static dev.tether.codec.jackson.HostileFrames.randomEcho;
import static dev.tether.codec.jackson.HostileFrames.u16;
import static dev.tether.codec.jackson.HostileFrames.u64;
import static dev.tether.codec.jackson.HostileFrames.undecodable;
import static dev.tether.codec.jackson.HostileFrames.writeSplit;
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

import dev.tether.ClientBuilder;
import dev.tether.Connection;
import dev.tether.ConnectionClosedException;
import dev.tether.RequestFailedException;
import dev.tether.Tether;
import dev.tether.TetherConfig;
import dev.tether.codec.CodecException;
import dev.tether.codec.jackson.HostileFrames.Echo;
import dev.tether.testing.RawPeer;
import dev.tether.testing.RawPeer.Frame;
import dev.tether.testing.RawPeer.GoAway;
import dev.tether.testing.RawPeer.Welcome;
import dev.tether.testing.TestPki;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The other direction of {@link HostileFrameSequenceTest}: a server written by hand answers a real
 * {@code json} client's requests and sends it messages, well-formed and hostile frames mixed at
 * random, the bytes split at random. What the application sees must be what PROTOCOL.md says:
 * {@code receive} (or, for half the sequences, a message handler) gets every well-formed message in
 * order, then the close; each request completes with its response, fails with {@link
 * RequestFailedException} carrying the peer's code and message, or with {@link CodecException} for
 * a response it cannot decode (the connection stays up), or with {@link ConnectionClosedException}
 * if the connection ends unanswered. On the wire the client answers every PING and every request
 * (NO_HANDLER), then the server's GOAWAY with GOAWAY(NORMAL), or a fatal frame with a GOAWAY naming
 * the cause; its close stage gives the same code. The frames before a fatal one were sound, so
 * nothing they carried is lost. Every third sequence runs over TLS (the JDK's server socket), where
 * frames also straddle TLS records.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HostileServerSequenceTest {
  private static final int SEQUENCES = 200;
  private static final Duration WAIT = Duration.ofSeconds(10);

  private static final TestPki PKI = TestPki.shared();

  /** Where the server takes the client's connection: plain TCP, or TLS for every third sequence. */
  private static ServerSocket plainListener;

  private static ServerSocket tlsListener;

  /** The application's thread, taking messages with {@code receive}. */
  private static final ExecutorService APPLICATION = Executors.newCachedThreadPool();

  @BeforeAll
  static void listen() throws IOException {
    plainListener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    tlsListener =
        PKI.serverTls()
            .build()
            .sslContext()
            .getServerSocketFactory()
            .createServerSocket(0, 50, InetAddress.getLoopbackAddress());
  }

  @AfterAll
  static void stop() throws IOException {
    APPLICATION.shutdownNow();
    plainListener.close();
    tlsListener.close();
  }

  static LongStream seeds() {
    return LongStream.range(0, SEQUENCES);
  }

  @ParameterizedTest(name = "sequence {0}")
  @MethodSource("seeds")
  void theApplicationSeesWhatTheProtocolSaysWhateverTheServerSends(long seed) throws Exception {
    SplittableRandom random = new SplittableRandom(seed);
    // every third sequence runs over TLS, where the frames also straddle TLS records
    boolean tls = seed % 3 == 2;
    ServerSocket listener = tls ? tlsListener : plainListener;
    CompletableFuture<RawPeer> accepted =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                RawPeer server = RawPeer.accepted(listener.accept());
                server.readPreamble();
                assertThat(server.readFrame().type()).as("HELLO").isEqualTo(RawPeer.HELLO);
                byte[] welcome =
                    new Welcome(
                            0,
                            0,
                            "tether-echo",
                            FINGERPRINT,
                            "json",
                            "",
                            MAX_FRAME_BYTES,
                            0,
                            0,
                            new byte[0])
                        .body();
                server.write(concat(RawPeer.PREAMBLE, frame(RawPeer.WELCOME, welcome)));
                return server;
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
    TetherConfig config =
        TetherConfig.builder().codecs("json").maxFrameBytes(MAX_FRAME_BYTES).build();
    // even sequences take messages with receive(), odd ones with a message handler
    boolean withHandler = seed % 2 == 1;
    List<Echo> handled = new CopyOnWriteArrayList<>();
    ClientBuilder<Echo, Echo> builder = Tether.<Echo, Echo>client(TYPES).config(config);
    if (tls) {
      builder.tls(PKI.clientTls().build());
    }
    if (withHandler) {
      builder.onMessage((connection, echo) -> handled.add(echo));
    }
    try (Connection<Echo, Echo> client =
            builder.connect(
                new InetSocketAddress(listener.getInetAddress(), listener.getLocalPort()));
        RawPeer server = accepted.get(WAIT.toSeconds(), TimeUnit.SECONDS)) {
      Script script = new Script(random);
      script.sendRequests(client, server);
      script.compose();

      // the application takes messages as they come: a message too large to decode on the event
      // loop is decoded by receive(), so only then can a bad one fail the connection
      CompletableFuture<Received> receiving =
          withHandler
              ? CompletableFuture.completedFuture(null)
              : CompletableFuture.supplyAsync(() -> receiveAll(client), APPLICATION);
      writeSplit(server, script.bytes.toByteArray(), random);
      script.checkWhatTheClientWrote(server);
      server.close(); // after the client's GOAWAY and end of stream, as §8 has it
      Received received = receiving.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      script.checkWhatTheApplicationSaw(
          client, () -> withHandler ? new Received(handled, List.of()) : received);
    }
  }

  /** What {@code receive} returned until it reported the close, and what it threw meanwhile. */
  private record Received(List<Echo> messages, List<Throwable> failures) {}

  private static Received receiveAll(Connection<Echo, Echo> client) {
    Received received = new Received(new ArrayList<>(), new ArrayList<>());
    while (true) {
      try {
        Echo echo = client.receive(WAIT);
        if (echo == null) {
          received.failures().add(new AssertionError("nothing received for " + WAIT));
          return received;
        }
        received.messages().add(echo);
      } catch (ConnectionClosedException e) {
        return received; // every message that arrived before has been taken
      } catch (CodecException e) {
        received.failures().add(e); // the bad message; the connection is failing
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        received.failures().add(e);
        return received;
      }
    }
  }

  /** What a request's future must end with. */
  private record Outcome(Echo value, int errorCode, String message, String codecFailurePart) {
    static Outcome value(Echo echo) {
      return new Outcome(echo, 0, null, null);
    }

    static Outcome error(int code, String message) {
      return new Outcome(null, code, message, null);
    }

    static Outcome undecodable(String part) {
      return new Outcome(null, 0, null, part);
    }
  }

  /** The frames the server sends in one sequence, and what the client must make of them. */
  private static final class Script extends HostileFrames.Sequence {
    private final List<Echo> messages = new ArrayList<>();
    private final List<CompletableFuture<Echo>> requests = new ArrayList<>();
    private final List<Long> ids = new ArrayList<>();
    private final Map<Long, Outcome> outcomes = new HashMap<>();
    private final List<Long> pings = new ArrayList<>();
    private final Set<Long> serverRequests = new HashSet<>();

    Script(SplittableRandom random) {
      super(random);
    }

    /** The client sends a few requests; the server learns their ids from the wire. */
    void sendRequests(Connection<Echo, Echo> client, RawPeer server) throws IOException {
      int n = random.nextInt(7);
      for (int i = 0; i < n; i++) {
        requests.add(client.request(new Echo("request " + i, i), Duration.ofMinutes(1)));
      }
      while (ids.size() < n) {
        Frame frame = server.readFrame();
        assertThat(frame.type()).as(frame.describe()).isEqualTo(REQUEST);
        ByteBuffer body = frame.buffer();
        ids.add(body.getLong());
        assertThat(echoIn(frame.body(), 8))
            .isEqualTo(new Echo("request " + (ids.size() - 1), ids.size() - 1));
      }
    }

    /** An id the client is waiting on and that nothing answered yet, or -1 if none is left. */
    private int unanswered() {
      List<Integer> open = new ArrayList<>();
      for (int i = 0; i < ids.size(); i++) {
        if (!outcomes.containsKey(ids.get(i))) {
          open.add(i);
        }
      }
      return open.isEmpty() ? -1 : open.get(random.nextInt(open.size()));
    }

    private long unknownId() {
      long id;
      do {
        id = random.nextLong();
      } while (ids.contains(id));
      return id;
    }

    /** A RESPONSE to a pending request, or (none left) to one the client never sent. */
    private void respond(String step, Outcome outcome, byte[] afterId) {
      int i = unanswered();
      long id = i < 0 ? unknownId() : ids.get(i);
      if (i >= 0) {
        outcomes.put(id, outcome);
      }
      write(step + " #" + id, RESPONSE, concat(u64(id), afterId));
    }

    @Override
    void harmlessStep() {
      switch (random.nextInt(11)) {
        case 0 -> messages.add(writeData());
        case 1 -> {
          Echo echo = randomEcho(random);
          respond(
              "OK " + echo, Outcome.value(echo), concat(new byte[] {0}, varint(ECHO), json(echo)));
        }
        case 2 -> {
          // the four codes of §7, or one this side does not know: passed on as a number
          int code = random.nextBoolean() ? 1 + random.nextInt(4) : 5 + random.nextInt(65531);
          String message = randomEcho(random).text();
          respond(
              "ERROR " + code,
              Outcome.error(code, message),
              concat(new byte[] {1}, u16(code), utf8(message)));
        }
        case 3 ->
            respond(
                "undecodable OK",
                Outcome.undecodable("decode"),
                concat(new byte[] {0}, varint(ECHO), undecodable(random)));
        case 4 -> {
          int typeId = 2 + random.nextInt(1000);
          respond(
              "OK of type " + typeId,
              Outcome.undecodable("type id " + typeId),
              concat(new byte[] {0}, varint(typeId), json(randomEcho(random))));
        }
        case 5 -> {
          // a second answer to a request already answered, or one to a request never sent
          long id =
              outcomes.isEmpty() || random.nextBoolean()
                  ? unknownId()
                  : outcomes.keySet().iterator().next();
          write(
              "RESPONSE to nothing pending #" + id,
              RESPONSE,
              concat(u64(id), new byte[] {1}, u16(2), utf8("late")));
        }
        case 6 -> {
          long ping = random.nextLong();
          pings.add(ping);
          write("PING", PING, u64(ping));
        }
        case 7 -> writeStrayPong();
        case 8 -> writeAncillary();
        case 9 -> {
          // the client has no request handler: it answers ERROR NO_HANDLER and stays up
          long id = random.nextLong();
          if (!serverRequests.add(id)) {
            return;
          }
          write("REQUEST #" + id, REQUEST, concat(u64(id), varint(ECHO), json(randomEcho(random))));
        }
        default -> {
          long id = unknownId();
          byte[] ok = concat(u64(id), new byte[] {0}, varint(ECHO), json(randomEcho(random)));
          write("OK to nothing #" + id, RESPONSE, ok);
        }
      }
    }

    /** The server's GOAWAY: the client delivers everything before it and answers NORMAL. */
    @Override
    void goAwayStep() {
      goAwayCode = NORMAL;
      reasonPart = "";
      write("GOAWAY(NORMAL)", GOAWAY, concat(u16(NORMAL), utf8("server going away")));
    }

    /**
     * PONGs for the PINGs, in order, and NO_HANDLER for the server's requests, then GOAWAY with the
     * expected code, then end of stream.
     */
    void checkWhatTheClientWrote(RawPeer server) throws IOException {
      int ponged = 0;
      Set<Long> answered = new HashSet<>();
      while (true) {
        Frame frame;
        try {
          frame = server.readFrame();
        } catch (EOFException e) {
          throw new AssertionError("end of stream without GOAWAY; " + script(), e);
        }
        switch (frame.type()) {
          case PONG -> {
            assertThat(ponged)
                .as("a PONG more than the PINGs; %s", script())
                .isLessThan(pings.size());
            assertThat(ByteBuffer.wrap(frame.body()).getLong())
                .as("PONG %d; %s", ponged, script())
                .isEqualTo(pings.get(ponged++));
          }
          case PING -> {} // the client's heartbeat
          case RESPONSE -> {
            ByteBuffer body = frame.buffer();
            long id = body.getLong();
            assertThat(serverRequests).as("RESPONSE to a REQUEST sent; %s", script()).contains(id);
            assertThat(answered.add(id)).as("one RESPONSE to #%d; %s", id, script()).isTrue();
            assertThat(body.get()).as("status ERROR; %s", script()).isEqualTo((byte) 1);
            assertThat(body.getShort()).as("NO_HANDLER; %s", script()).isEqualTo((short) 1);
          }
          case GOAWAY -> {
            GoAway goAway = GoAway.parse(frame.body());
            assertThat(goAway.code()).as("GOAWAY %s; %s", goAway, script()).isEqualTo(goAwayCode);
            assertThat(goAway.reason())
                .as("reason; %s", script())
                .isNotBlank()
                .contains(reasonPart);
            // after the server's GOAWAY, or a fatal frame, alike: what came before is answered
            assertThat(ponged)
                .as("every PING answered before GOAWAY; %s", script())
                .isEqualTo(pings.size());
            assertThat(answered)
                .as("every REQUEST answered before GOAWAY; %s", script())
                .isEqualTo(serverRequests);
            server.assertEndOfStream();
            return;
          }
          default -> fail("unexpected %s from the client; %s", frame.describe(), script());
        }
      }
    }

    /** {@code what} is read once the connection's close stage has completed. */
    void checkWhatTheApplicationSaw(Connection<Echo, Echo> client, Supplier<Received> what)
        throws Exception {
      ConnectionClosedException closed =
          client.onClose().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(closed.rawCode())
          .as("close code (%s); %s", closed.getMessage(), script())
          .isEqualTo(goAwayCode);
      assertThat(closed.isRemote()).as("closed by the server; %s", script()).isEqualTo(graceful());

      // the frames before a fatal one were sound: their messages are not lost either
      Received received = what.get(); // complete: the close stage follows the last handler call
      assertThat(received.messages()).as("messages; %s", script()).isEqualTo(messages);
      if (lastStep().equals("undecodable DATA")) {
        assertThat(received.failures()).as("receive; %s", script()).hasSizeLessThanOrEqualTo(1);
        assertThat(received.failures()).allMatch(CodecException.class::isInstance);
      } else {
        assertThat(received.failures()).as("receive; %s", script()).isEmpty();
      }

      for (int i = 0; i < requests.size(); i++) {
        checkRequest(requests.get(i), outcomes.get(ids.get(i)), ids.get(i));
      }
    }

    private void checkRequest(CompletableFuture<Echo> request, Outcome outcome, long id)
        throws Exception {
      String what = "request #" + id + "; " + script();
      Throwable failure = null;
      Echo value = null;
      try {
        value = request.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        failure = e.getCause();
      }
      if (outcome == null) {
        assertThat(failure).as(what).isInstanceOf(ConnectionClosedException.class);
        assertThat(((ConnectionClosedException) failure).rawCode()).as(what).isEqualTo(goAwayCode);
      } else if (outcome.value() != null) {
        assertThat(failure).as(what).isNull();
        assertThat(value).as(what).isEqualTo(outcome.value());
      } else if (outcome.codecFailurePart() != null) {
        assertThat(failure)
            .as(what)
            .isInstanceOf(CodecException.class)
            .hasMessageContaining(outcome.codecFailurePart());
      } else {
        assertThat(failure).as(what).isInstanceOf(RequestFailedException.class);
        RequestFailedException refused = (RequestFailedException) failure;
        assertThat(refused.rawCode()).as(what).isEqualTo(outcome.errorCode());
        assertThat(refused.remoteMessage()).as(what).isEqualTo(outcome.message());
      }
    }
  }
}
