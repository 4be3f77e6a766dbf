package dev.tether;

import static dev.tether.ResumptionWireTest.echo;
import static dev.tether.ResumptionWireTest.echoServer;
import static dev.tether.ResumptionWireTest.hello;
import static dev.tether.ResumptionWireTest.resumeEntry;
import static dev.tether.ResumptionWireTest.resumeExtension;
import static dev.tether.ResumptionWireTest.seqOf;
import static dev.tether.ResumptionWireTest.start;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.RawPeer;
import dev.tether.testing.TestTypes;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Session resumption (PROTOCOL.md §13) against peers that lie or are unlucky: ACKs that count what
 * was never sent or go backwards, RESUME positions the server cannot serve, two sockets with one
 * token, and resumes that come too late.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ResumptionHostilePeerTest {

  private static byte[] ack(long count) {
    return ByteBuffer.allocate(8).putLong(count).array();
  }

  /** Reads past ACKs and PINGs to the GOAWAY. */
  private static RawPeer.GoAway goAwaySkippingControl(RawPeer peer) throws IOException {
    RawPeer.Frame frame = peer.readFrameSkippingControl();
    assertThat(frame.type())
        .as("expected GOAWAY, got %s", frame.describe())
        .isEqualTo(RawPeer.GOAWAY);
    return RawPeer.GoAway.parse(frame.body());
  }

  /** Returns true once the peer's socket ends (closed or reset), skipping control frames. */
  private static boolean endsWithoutAnotherMessage(RawPeer peer) throws IOException {
    try {
      RawPeer.Frame frame = peer.readFrameSkippingControl();
      throw new AssertionError("expected the socket to end, got " + frame.describe());
    } catch (EOFException | SocketException e) {
      return true;
    }
  }

  // ------------------------------------------------------------------ ACK values

  @Test
  void anAckOfMoreThanWasSentIsAProtocolError() throws Exception {
    try (Server<Object, Object> server = echoServer(Duration.ofSeconds(30));
        RawPeer peer = RawPeer.connect(server.address())) {
      start(peer, 2);

      peer.writeFrame(0x40, ack(3));

      RawPeer.GoAway goAway = goAwaySkippingControl(peer);
      assertThat(goAway.code()).isEqualTo(GoAwayCode.PROTOCOL_ERROR.code());
      assertThat(goAway.reason())
          .isEqualTo("the peer acknowledges 3 messages, but only 2 were sent");
    }
  }

  @Test
  void anAckPastTwoToTheSixtyThreeIsMoreThanWasSentToo() throws Exception {
    try (Server<Object, Object> server = echoServer(Duration.ofSeconds(30));
        RawPeer peer = RawPeer.connect(server.address())) {
      start(peer, 2);

      peer.writeFrame(0x40, ack(-1)); // u64 0xFFFF_FFFF_FFFF_FFFF, not -1
      peer.writeData(1, echo(3));

      RawPeer.GoAway goAway = goAwaySkippingControl(peer);
      assertThat(goAway.code()).isEqualTo(GoAwayCode.PROTOCOL_ERROR.code());
      assertThat(goAway.reason())
          .isEqualTo("the peer acknowledges 18446744073709551615 messages, but only 2 were sent");
    }
  }

  @Test
  void anAckThatGoesBackDropsNothingAndTheFramesItDroppedCannotBeAskedForAgain() throws Exception {
    try (Server<Object, Object> server = echoServer(Duration.ofSeconds(30))) {
      byte[] token;
      try (RawPeer peer = RawPeer.connect(server.address())) {
        token = start(peer, 3);
        peer.writeFrame(0x40, ack(3));
        peer.writeFrame(0x40, ack(1)); // backwards: harmless, the frames are gone already
        peer.writeData(1, echo(4));
        assertThat(seqOf(peer.readFrameSkippingControl())).isEqualTo(4);
        peer.resetAbruptly();
      }
      try (RawPeer back = RawPeer.connect(server.address())) {
        back.writePreambleAndHello(hello().extensions(resumeExtension(1, token, 1)));
        RawPeer.GoAway refusal = back.readRefusal();
        assertThat(refusal.code()).isEqualTo(GoAwayCode.PROTOCOL_ERROR.code());
        assertThat(refusal.reason())
            .isEqualTo(
                "cannot resume: the client says it received 1 messages, which this side cannot"
                    + " replay from");
      }
    }
  }

  @Test
  void aMillionAcksOfZeroCostNothingButTheirBytes() throws Exception {
    try (Server<Object, Object> server = echoServer(Duration.ofSeconds(30));
        RawPeer peer = RawPeer.connect(server.address())) {
      start(peer, 1);
      byte[] one = RawPeer.frame(0x40, ack(0));
      byte[] batch = new byte[one.length * 10_000];
      for (int i = 0; i < 10_000; i++) {
        System.arraycopy(one, 0, batch, i * one.length, one.length);
      }
      for (int i = 0; i < 100; i++) {
        peer.write(batch);
      }
      peer.writeData(1, echo(2));
      assertThat(seqOf(peer.readFrameSkippingControl()))
          .as("the server answered nothing but its ACKs and PINGs to the million")
          .isEqualTo(2);
      assertThat(server.connections()).hasSize(1);
    }
  }

  @Test
  void type0x40WithoutResumptionIsSkippedWhateverItsBody() throws Exception {
    try (Server<Object, Object> server = echoServer(Duration.ofSeconds(30));
        RawPeer peer = RawPeer.connect(server.address())) {
      peer.handshake(RawPeer.Hello.forTypes(TestTypes.TYPES).codecs("test")); // minor 0
      peer.writeFrame(0x40, new byte[3]);
      peer.writeFrame(0x40, ack(99));
      peer.writeData(1, echo(1));
      assertThat(seqOf(peer.readFrameSkippingControl())).isEqualTo(1);
    }
  }

  // ------------------------------------------------------------------ RESUME positions

  @Test
  void aResumeFromBeyondWhatWasSentIsRefusedAndEndsTheSession() throws Exception {
    AtomicReference<ConnectionClosedException> closed = new AtomicReference<>();
    try (Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .sessionResumption(Duration.ofSeconds(30), 1 << 20)
            .onMessage((c, m) -> c.send(m))
            .onClose((c, cause) -> closed.set(cause))
            .bind(new InetSocketAddress("127.0.0.1", 0))) {
      byte[] token;
      try (RawPeer peer = RawPeer.connect(server.address())) {
        token = start(peer, 2);
        peer.resetAbruptly();
      }
      try (RawPeer back = RawPeer.connect(server.address())) {
        back.writePreambleAndHello(hello().extensions(resumeExtension(1, token, 5)));
        RawPeer.GoAway refusal = back.readRefusal();
        assertThat(refusal.code()).isEqualTo(GoAwayCode.PROTOCOL_ERROR.code());
        assertThat(refusal.reason())
            .isEqualTo(
                "cannot resume: the client says it received 5 messages, which this side cannot"
                    + " replay from");
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> closed.get() != null);
      assertThat(closed.get().reason())
          .contains("the client asked to resume from a position this side cannot serve");
      try (RawPeer again = RawPeer.connect(server.address())) {
        RawPeer.Welcome welcome = again.handshake(hello().extensions(resumeExtension(1, token, 2)));
        assertThat(resumeEntry(welcome)[0]).as("kind: lost").isEqualTo((byte) 2);
      }
    }
  }

  // ------------------------------------------------------------------ two sockets, one token

  @Test
  void aSecondSocketResumingWhileTheFirstIsOpenTakesOverWithoutRepeatOrLoss() throws Exception {
    try (Server<Object, Object> server = echoServer(Duration.ofSeconds(30));
        RawPeer first = RawPeer.connect(server.address());
        RawPeer second = RawPeer.connect(server.address())) {
      byte[] token = start(first, 3);

      RawPeer.Welcome welcome = second.handshake(hello().extensions(resumeExtension(1, token, 1)));
      byte[] resumed = resumeEntry(welcome);
      assertThat(resumed[0]).as("kind: resumed").isEqualTo((byte) 1);
      assertThat(ByteBuffer.wrap(resumed, 17, 8).getLong()).isEqualTo(3);
      assertThat(seqOf(second.readFrameSkippingControl())).isEqualTo(2);
      assertThat(seqOf(second.readFrameSkippingControl())).isEqualTo(3);
      second.writeData(1, echo(4));
      assertThat(seqOf(second.readFrameSkippingControl())).isEqualTo(4);

      assertThat(endsWithoutAnotherMessage(first)).as("the old socket is dropped").isTrue();
      assertThat(server.connections()).hasSize(1);
    }
  }

  @Test
  void twoSocketsResumingAtOnceLeaveTheSessionWithTheLastAndNothingTwice() throws Exception {
    try (Server<Object, Object> server = echoServer(Duration.ofSeconds(30))) {
      byte[] token;
      try (RawPeer peer = RawPeer.connect(server.address())) {
        token = start(peer, 3);
        peer.resetAbruptly();
      }
      try (RawPeer a = RawPeer.connect(server.address());
          RawPeer b = RawPeer.connect(server.address())) {
        a.writePreambleAndHello(hello().extensions(resumeExtension(1, token, 2)));
        b.writePreambleAndHello(hello().extensions(resumeExtension(1, token, 2)));
        // whichever the server adopted last has the session; the other is dropped
        RawPeer.Welcome wa = readWelcomeOrNull(a);
        RawPeer.Welcome wb = readWelcomeOrNull(b);
        assertThat(wa != null || wb != null).isTrue();
        RawPeer winner = null;
        for (RawPeer p : new RawPeer[] {a, b}) {
          RawPeer.Welcome w = p == a ? wa : wb;
          if (w == null) {
            continue;
          }
          assertThat(resumeEntry(w)[0]).as("kind: resumed").isEqualTo((byte) 1);
          try {
            assertThat(seqOf(p.readFrameSkippingControl())).isEqualTo(3);
            p.writeData(1, echo(4));
            RawPeer.Frame next = p.readFrameSkippingControl();
            assertThat(seqOf(next)).isEqualTo(4);
            assertThat(winner).as("only one socket has the session").isNull();
            winner = p;
          } catch (EOFException | SocketException dropped) {
            // the loser
          }
        }
        assertThat(winner).isNotNull();
        assertThat(server.connections()).hasSize(1);
      }
    }
  }

  private static RawPeer.Welcome readWelcomeOrNull(RawPeer peer) throws IOException {
    try {
      peer.readPreamble();
      RawPeer.Frame frame = peer.readFrame();
      assertThat(frame.type()).as(frame.describe()).isEqualTo(RawPeer.WELCOME);
      return RawPeer.Welcome.parse(frame.body());
    } catch (EOFException | SocketException dropped) {
      return null;
    }
  }

  // ------------------------------------------------------------------ too late

  @Test
  void aResumeOfASessionThatEndedWithGoAwayStartsANewOne() throws Exception {
    try (Server<Object, Object> server = echoServer(Duration.ofSeconds(30))) {
      byte[] token;
      try (RawPeer peer = RawPeer.connect(server.address())) {
        token = start(peer, 1);
        peer.writeGoAway(0, "bye");
        assertThat(goAwaySkippingControl(peer).code()).isZero();
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> server.connections().isEmpty());
      try (RawPeer back = RawPeer.connect(server.address())) {
        RawPeer.Welcome welcome = back.handshake(hello().extensions(resumeExtension(1, token, 1)));
        assertThat(resumeEntry(welcome)[0]).as("kind: lost").isEqualTo((byte) 2);
      }
    }
  }

  @Test
  void aResumeWhileTheSessionIsClosingIsToldToComeBack() throws Exception {
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .config(
                    TetherConfig.builder()
                        .codecs("test")
                        .drainTimeout(Duration.ofSeconds(20))
                        .build())
                .sessionResumption(Duration.ofSeconds(30), 1 << 20)
                .onMessage((c, m) -> c.send(m))
                .bind(new InetSocketAddress("127.0.0.1", 0));
        RawPeer first = RawPeer.connect(server.address())) {
      byte[] token = start(first, 1);
      server.connections().get(0).closeAsync(); // the server closes; the peer never answers
      assertThat(goAwaySkippingControl(first).code()).isEqualTo(GoAwayCode.NORMAL.code());

      try (RawPeer back = RawPeer.connect(server.address())) {
        back.writePreambleAndHello(hello().extensions(resumeExtension(1, token, 1)));
        RawPeer.GoAway refusal = back.readRefusal();
        assertThat(refusal.code()).isEqualTo(GoAwayCode.INTERNAL_ERROR.code());
        assertThat(refusal.reason()).isEqualTo("the session is closing; connect again");
      }
    }
  }
}
