package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Msg;
import dev.tether.testing.RawPeer;
import dev.tether.testing.TestTypes;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A reconnecting client (PROTOCOL.md §13) against a server written by hand that answers a RESUME
 * with "resumed" and something the client cannot take: a position it never reached, or another
 * session's token. The client must not go on as if resumed, and must say why, to the server too.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ResumptionHostileServerTest {
  private static final byte[] TOKEN = "0123456789abcdef".getBytes();
  private static final byte[] OTHER = "fedcba9876543210".getBytes();

  private static byte[] welcome(int kind, byte[] token, long received) {
    byte[] extensions =
        ByteBuffer.allocate(4 + 25)
            .putShort((short) 3)
            .putShort((short) 25)
            .put((byte) kind)
            .put(token)
            .putLong(received)
            .array();
    RawPeer.Welcome welcome =
        new RawPeer.Welcome(
            2,
            0,
            TestTypes.TYPES.appProtocol(),
            TestTypes.TYPES.fingerprint(),
            "test",
            "",
            1 << 20,
            0,
            0,
            extensions);
    return RawPeer.concat(RawPeer.PREAMBLE, RawPeer.frame(RawPeer.WELCOME, welcome.body()));
  }

  private static void readPreambleAndHello(RawPeer server) throws IOException {
    server.readPreamble();
    assertThat(server.readFrame().type()).isEqualTo(RawPeer.HELLO);
  }

  /**
   * Returns the GOAWAY the client writes, skipping its ACKs and answering its PINGs for at most 10
   * seconds; null if the socket ends, or if nothing but control frames came meanwhile (a client
   * that went on as if nothing were wrong).
   */
  private static RawPeer.GoAway goAwayOrNull(RawPeer server) throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    try {
      while (System.nanoTime() < deadline) {
        RawPeer.Frame frame = server.readFrame();
        if (frame.type() == RawPeer.PING) {
          server.writeFrame(RawPeer.PONG, frame.body());
          continue;
        }
        if (frame.type() == RawPeer.GOAWAY) {
          return RawPeer.GoAway.parse(frame.body());
        }
        assertThat(frame.type()).as(frame.describe()).isGreaterThanOrEqualTo(0x40);
      }
      return null;
    } catch (EOFException | SocketException | java.net.SocketTimeoutException e) {
      return null;
    }
  }

  /**
   * Starts a session with token {@link #TOKEN} in which the client sends two messages, breaks the
   * socket, and answers the client's resuming HELLO with {@code answer}; returns what the client
   * wrote after it, and the client's close cause in {@code closed}.
   */
  private static RawPeer.GoAway resumeAnsweredWith(
      byte[] answer, AtomicReference<ConnectionClosedException> closed) throws Exception {
    try (ServerSocket listener =
        new ServerSocket(0, 10, java.net.InetAddress.getLoopbackAddress())) {
      CompletableFuture<Connection<Object, Object>> connecting =
          Tether.client(TestTypes.TYPES)
              .codecs("test")
              .reconnect(ResumptionTest.FAST)
              .onClose((c, cause) -> closed.set(cause))
              .connectAsync(new InetSocketAddress("127.0.0.1", listener.getLocalPort()));
      Connection<Object, Object> client;
      try (RawPeer first = RawPeer.accepted(listener.accept())) {
        readPreambleAndHello(first);
        first.write(welcome(0, TOKEN, 0));
        client = connecting.get(10, TimeUnit.SECONDS);
        client.send(new Msg("a", 1));
        client.send(new Msg("b", 2));
        assertThat(first.readFrameSkippingControl().type()).isEqualTo(RawPeer.DATA);
        assertThat(first.readFrameSkippingControl().type()).isEqualTo(RawPeer.DATA);
        first.resetAbruptly();
      }
      try (RawPeer second = RawPeer.accepted(listener.accept())) {
        readPreambleAndHello(second);
        second.write(answer);
        RawPeer.GoAway goAway = goAwayOrNull(second);
        await().atMost(Duration.ofSeconds(10)).until(() -> closed.get() != null);
        return goAway;
      } finally {
        client.closeAsync(); // not waiting for a server that may not answer
      }
    }
  }

  @Test
  void aResumedWelcomeClaimingMoreThanTheClientSentIsAProtocolErrorOnBothSides() throws Exception {
    AtomicReference<ConnectionClosedException> closed = new AtomicReference<>();

    RawPeer.GoAway goAway = resumeAnsweredWith(welcome(1, TOKEN, 5), closed);

    assertThat(closed.get().reason())
        .contains("the server says it received 5 messages of this session");
    assertThat(goAway).as("the client tells the server why").isNotNull();
    assertThat(goAway.code()).isEqualTo(GoAwayCode.PROTOCOL_ERROR.code());
    assertThat(goAway.reason())
        .isEqualTo(
            "the server says it received 5 messages of this session, which this side cannot"
                + " replay from");
  }

  @Test
  void aResumedWelcomeNamingAnotherTokenIsAProtocolErrorOnBothSides() throws Exception {
    AtomicReference<ConnectionClosedException> closed = new AtomicReference<>();

    RawPeer.GoAway goAway = resumeAnsweredWith(welcome(1, OTHER, 2), closed);

    assertThat(goAway).as("the client tells the server why").isNotNull();
    assertThat(goAway.code()).isEqualTo(GoAwayCode.PROTOCOL_ERROR.code());
    assertThat(goAway.reason()).contains("another session");
    assertThat(closed.get().reason()).contains("another session");
  }

  /**
   * A server that comes back speaking another major version is told so, and the client gives up at
   * once, as it did when the preamble counted as any foreign one (PROTOCOL_ERROR): retrying does
   * not change the server's version (decision (jj)).
   */
  @Test
  void aServerThatComesBackOfAnotherMajorVersionIsGivenUpOnAtOnce() throws Exception {
    AtomicReference<ConnectionClosedException> closed = new AtomicReference<>();

    RawPeer.GoAway goAway =
        resumeAnsweredWith(dev.tether.testing.Hex.decode("544554484552 00 02"), closed);

    assertThat(goAway).as("the client tells the server why").isNotNull();
    assertThat(goAway.code()).isEqualTo(GoAwayCode.UNSUPPORTED_VERSION.code());
    assertThat(closed.get().reason()).contains("cannot mend").contains("major version 2");
  }
}
