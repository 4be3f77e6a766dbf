package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.internal.engine.SessionProbe;
import dev.tether.testing.Hex;
import dev.tether.testing.Msg;
import dev.tether.testing.RawPeer;
import dev.tether.testing.TestTypes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Session resumption byte by byte (PROTOCOL.md §13), against a real server, from a client written
 * by hand: the RESUME entries, replay from the position the client names, a session the server no
 * longer has, and a session that times out.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ResumptionWireTest {
  private static final int RESUME_KIND = 0x0003;
  private static final int ACK = 0x40;

  static Server<Object, Object> echoServer(Duration sessionTimeout) {
    return Tether.server(TestTypes.TYPES)
        .codecs("test")
        .sessionResumption(sessionTimeout, 1 << 20)
        .onMessage((c, m) -> c.send(m))
        .bind(new InetSocketAddress("127.0.0.1", 0));
  }

  /** The extensions field with one RESUME entry. */
  static byte[] resumeExtension(int kind, byte[] token, long received) {
    return ByteBuffer.allocate(4 + 25)
        .putShort((short) RESUME_KIND)
        .putShort((short) 25)
        .put((byte) kind)
        .put(token)
        .putLong(received)
        .array();
  }

  /** Returns the 25-byte value of the WELCOME's RESUME entry. */
  static byte[] resumeEntry(RawPeer.Welcome welcome) {
    ByteBuffer in = ByteBuffer.wrap(welcome.extensions());
    while (in.remaining() >= 4) {
      int kind = in.getShort() & 0xFFFF;
      int length = in.getShort() & 0xFFFF;
      byte[] value = new byte[length];
      in.get(value);
      if (kind == RESUME_KIND) {
        return value;
      }
    }
    throw new AssertionError("no RESUME entry in " + Hex.encode(welcome.extensions()));
  }

  /**
   * The extensions field with a RESUME entry and a CREDENTIALS entry (kind 2) for a bearer token.
   */
  private static byte[] resumeWithCredentials(
      int kind, byte[] token, long received, String bearer) {
    byte[] scheme = "bearer".getBytes(StandardCharsets.UTF_8);
    byte[] value = bearer.getBytes(StandardCharsets.UTF_8);
    int length = 2 + scheme.length + value.length;
    return ByteBuffer.allocate(4 + 25 + 4 + length)
        .put(resumeExtension(kind, token, received))
        .putShort((short) 2)
        .putShort((short) length)
        .putShort((short) scheme.length)
        .put(scheme)
        .put(value)
        .array();
  }

  static byte[] echo(long seq) {
    return OutboundBoundTest.msg("e" + seq, seq);
  }

  static long seqOf(RawPeer.Frame data) {
    assertThat(data.type()).as(data.describe()).isEqualTo(RawPeer.DATA);
    return ByteBuffer.wrap(data.body(), 1, 8).getLong(); // after the 1-byte varint type id
  }

  static RawPeer.Hello hello() {
    return RawPeer.Hello.forTypes(TestTypes.TYPES).codecs("test").minorVersion(2);
  }

  /** Starts a session, has {@code echoes} messages echoed, and returns the session's token. */
  static byte[] start(RawPeer peer, int echoes) throws IOException {
    RawPeer.Welcome welcome =
        peer.handshake(hello().extensions(resumeExtension(0, new byte[16], 0)));
    byte[] token = Arrays.copyOfRange(resumeEntry(welcome), 1, 17);
    for (int i = 1; i <= echoes; i++) {
      peer.writeData(1, echo(i));
      assertThat(seqOf(peer.readFrameSkippingControl())).isEqualTo(i);
    }
    return token;
  }

  @Test
  void aSessionStartsBreaksAndResumesFromThePositionTheClientNames() throws Exception {
    try (Server<Object, Object> server = echoServer(Duration.ofSeconds(30))) {
      byte[] token;
      try (RawPeer first = RawPeer.connect(server.address())) {
        RawPeer.Welcome welcome =
            first.handshake(hello().extensions(resumeExtension(0, new byte[16], 0)));
        assertThat(welcome.minorVersion()).isEqualTo(2);
        byte[] granted = resumeEntry(welcome);
        assertThat(granted).hasSize(25);
        assertThat(granted[0]).as("kind: started").isZero();
        token = Arrays.copyOfRange(granted, 1, 17);
        assertThat(token).as("a real token").isNotEqualTo(new byte[16]);
        assertThat(ByteBuffer.wrap(granted, 17, 8).getLong()).isZero();

        for (int i = 1; i <= 3; i++) {
          first.writeData(1, echo(i));
        }
        for (int i = 1; i <= 3; i++) {
          assertThat(seqOf(first.readFrameSkippingControl())).isEqualTo(i);
        }
        first.resetAbruptly(); // no GOAWAY: the session waits on the server
      }

      // the client says it got only the first echo: the server must write echoes 2 and 3 again
      try (RawPeer second = RawPeer.connect(server.address())) {
        RawPeer.Welcome welcome =
            second.handshake(hello().extensions(resumeExtension(1, token, 1)));
        byte[] resumed = resumeEntry(welcome);
        assertThat(resumed[0]).as("kind: resumed").isEqualTo((byte) 1);
        assertThat(Arrays.copyOfRange(resumed, 1, 17)).isEqualTo(token);
        assertThat(ByteBuffer.wrap(resumed, 17, 8).getLong())
            .as("message frames the server had received")
            .isEqualTo(3);
        assertThat(seqOf(second.readFrameSkippingControl())).isEqualTo(2);
        assertThat(seqOf(second.readFrameSkippingControl())).isEqualTo(3);

        second.writeData(1, echo(4)); // numbered 4 on both sides: no gap, no repeat
        assertThat(seqOf(second.readFrameSkippingControl())).isEqualTo(4);
      }
      assertThat(server.connections()).as("still one session").hasSize(1);
    }
  }

  @Test
  void framesWrittenRightBehindAResumingHelloAreHandledAfterTheWelcomeNotLost() throws Exception {
    // PROTOCOL.md §13 has a client wait for the WELCOME, but one that does not must lose nothing:
    // the server read the DATA with the HELLO, before the session took the socket over
    try (Server<Object, Object> server = echoServer(Duration.ofSeconds(30))) {
      byte[] token;
      try (RawPeer first = RawPeer.connect(server.address())) {
        token = start(first, 1);
        first.resetAbruptly();
      }

      try (RawPeer second = RawPeer.connect(server.address())) {
        RawPeer.Hello hello = hello().extensions(resumeExtension(1, token, 1));
        second.write(
            RawPeer.concat(
                RawPeer.PREAMBLE,
                RawPeer.frame(RawPeer.HELLO, hello.body()),
                RawPeer.frame(RawPeer.DATA, RawPeer.concat(RawPeer.varint(1), echo(2))),
                RawPeer.frame(RawPeer.DATA, RawPeer.concat(RawPeer.varint(1), echo(3)))));
        second.readPreamble();
        RawPeer.Frame welcome = second.readFrame();
        assertThat(welcome.type()).as(welcome.describe()).isEqualTo(RawPeer.WELCOME);
        assertThat(resumeEntry(RawPeer.Welcome.parse(welcome.body()))[0])
            .as("kind: resumed")
            .isEqualTo((byte) 1);

        assertThat(seqOf(second.readFrameSkippingControl())).isEqualTo(2);
        assertThat(seqOf(second.readFrameSkippingControl())).isEqualTo(3);
        second.writeData(1, echo(4)); // and the session goes on from there
        assertThat(seqOf(second.readFrameSkippingControl())).isEqualTo(4);
      }
      assertThat(server.connections()).as("still one session").hasSize(1);
    }
  }

  @Test
  void aSessionTokenFromAnotherNodeOrUnderOtherCredentialsResumesNothing() throws Exception {
    try (Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .sessionResumption(Duration.ofSeconds(30), 1 << 20)
            .authorizer(request -> Admission.admit()) // every client is admitted, as itself
            .onMessage((c, m) -> c.send(m))
            .bind(new InetSocketAddress("127.0.0.1", 0))) {
      byte[] token;
      try (RawPeer first = RawPeer.connect(server.address())) {
        RawPeer.Welcome welcome =
            first.handshake(
                hello().nodeId(7).extensions(resumeWithCredentials(0, new byte[16], 0, "owner")));
        token = Arrays.copyOfRange(resumeEntry(welcome), 1, 17);

        // while the owner is connected: a refused client must not cut the owner's socket either
        assertResumeRefused(
            server,
            hello().nodeId(7).extensions(resumeWithCredentials(1, token, 0, "thief")),
            "cannot resume: the session was started with other credentials than this client"
                + " presents");
        first.writeData(1, echo(1));
        assertThat(seqOf(first.readFrameSkippingControl())).isEqualTo(1);
        first.resetAbruptly(); // no GOAWAY: the session waits on the server
      }

      assertResumeRefused(
          server,
          hello().nodeId(8).extensions(resumeWithCredentials(1, token, 1, "owner")),
          "cannot resume: the session was started by node 7, and this client announces node 8");
      assertResumeRefused(
          server,
          hello().nodeId(7).extensions(resumeWithCredentials(1, token, 1, "thief")),
          "cannot resume: the session was started with other credentials than this client"
              + " presents");
      assertResumeRefused(
          server,
          hello().nodeId(7).extensions(resumeExtension(1, token, 1)),
          "cannot resume: the session was started with other credentials than this client"
              + " presents");

      try (RawPeer back = RawPeer.connect(server.address())) {
        RawPeer.Welcome welcome =
            back.handshake(
                hello().nodeId(7).extensions(resumeWithCredentials(1, token, 1, "owner")));
        assertThat(resumeEntry(welcome)[0]).as("kind: resumed").isEqualTo((byte) 1);
        back.writeData(1, echo(2)); // the session goes on where it was: nothing repeated
        assertThat(seqOf(back.readFrameSkippingControl())).isEqualTo(2);
      }
      assertThat(server.connections()).as("still the one session").hasSize(1);
      assertThat(server.connections().get(0).peer().nodeId()).isEqualTo(7);
    }
  }

  private static void assertResumeRefused(Server<?, ?> server, RawPeer.Hello hello, String why)
      throws Exception {
    try (RawPeer peer = RawPeer.connect(server.address())) {
      peer.writePreambleAndHello(hello);
      RawPeer.GoAway refusal = peer.readRefusal();
      assertThat(refusal.code()).isEqualTo(GoAwayCode.UNAUTHORIZED.code());
      assertThat(refusal.reason()).isEqualTo(why);
    }
  }

  @Test
  void detachedSessionsCountWhatTheyHoldAgainstTheBudgetNotOnlyTheirFrames() throws Exception {
    int budget = 1 << 20;
    int sessions = 400; // each holds far more memory than its one unacknowledged frame
    try (Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .sessionResumption(Duration.ofSeconds(30), budget)
            .onMessage((c, m) -> c.send(m))
            .bind(new InetSocketAddress("127.0.0.1", 0))) {
      List<byte[]> tokens = new ArrayList<>();
      for (int i = 0; i < sessions; i++) {
        try (RawPeer peer = RawPeer.connect(server.address())) {
          RawPeer.Welcome welcome =
              peer.handshake(hello().extensions(resumeExtension(0, new byte[16], 0)));
          tokens.add(Arrays.copyOfRange(resumeEntry(welcome), 1, 17));
          peer.writeData(1, echo(i));
          assertThat(seqOf(peer.readFrameSkippingControl())).isEqualTo(i);
          peer.resetAbruptly();
        }
      }

      // 8 KiB a session, as SessionRegistry counts: at most 128 fit in 1 MiB
      int kept = budget / (8 * 1024);
      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(() -> assertThat(server.connections()).hasSizeBetween(kept - 8, kept));
      try (RawPeer oldest = RawPeer.connect(server.address())) {
        RawPeer.Welcome welcome =
            oldest.handshake(hello().extensions(resumeExtension(1, tokens.get(0), 1)));
        assertThat(resumeEntry(welcome)[0])
            .as("kind: lost, the session was let go")
            .isEqualTo((byte) 2);
      }
      try (RawPeer newest = RawPeer.connect(server.address())) {
        RawPeer.Welcome welcome =
            newest.handshake(hello().extensions(resumeExtension(1, tokens.get(sessions - 1), 1)));
        assertThat(resumeEntry(welcome)[0]).as("kind: resumed").isEqualTo((byte) 1);
      }
    }
  }

  @Test
  void whatIsSentToDetachedSessionsCountsAgainstTheBudgetAsItIsQueued() throws Exception {
    // sessions that detach holding little are all kept; sends to them then fill each one's
    // outbound queue (its own bound allows it), and together they must stay within the budget
    int bound = 64 * 1024;
    int budget = 256 * 1024;
    int sessions = 8; // 8 x 8 KiB fit at detach time; 8 x (8 KiB + 64 KiB queued) do not
    List<Connection<Object, Object>> connections = new CopyOnWriteArrayList<>();
    List<ConnectionClosedException> closed = new CopyOnWriteArrayList<>();
    try (Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .config(TetherConfig.builder().codecs("test").maxQueuedOutboundBytes(bound).build())
            .sessionResumption(Duration.ofSeconds(30), budget)
            .onConnection(connections::add)
            .onClose((c, cause) -> closed.add(cause))
            .bind(new InetSocketAddress("127.0.0.1", 0))) {
      for (int i = 0; i < sessions; i++) {
        try (RawPeer peer = RawPeer.connect(server.address())) {
          peer.handshake(hello().extensions(resumeExtension(0, new byte[16], 0)));
          peer.resetAbruptly();
        }
      }
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  connections.size() == sessions
                      && connections.stream().allMatch(SessionProbe::isDetached));
      assertThat(closed).as("detached holding almost nothing, all fit in the budget").isEmpty();

      String text = "x".repeat(1000);
      for (Connection<Object, Object> c : connections) {
        for (int i = 0; i < 2 * bound / 1000; i++) {
          if (c.trySend(new Msg(text, i)) != SendResult.ACCEPTED) {
            break; // this session's own bound
          }
        }
      }

      // what the detached sessions still kept hold, as the budget counts it (8 KiB a session)
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertThat(
                          connections.stream()
                              .filter(Connection::isOpen)
                              .mapToLong(c -> 8 * 1024 + c.metrics().queuedOutboundBytes())
                              .sum())
                      .as(
                          "bytes held by the detached sessions still kept, after sends filled"
                              + " them; the budget is "
                              + budget)
                      .isLessThanOrEqualTo(budget));
      assertThat(closed)
          .as("the sessions let go say why")
          .isNotEmpty()
          .allSatisfy(
              cause -> assertThat(cause.reason()).contains("detached sessions held more than"));
    }
  }

  @Test
  void aSessionTheServerDoesNotHaveIsAnsweredWithANewOne() throws Exception {
    try (Server<Object, Object> server = echoServer(Duration.ofSeconds(30));
        RawPeer peer = RawPeer.connect(server.address())) {
      byte[] unknown = "no such session!".getBytes(StandardCharsets.US_ASCII);

      RawPeer.Welcome welcome = peer.handshake(hello().extensions(resumeExtension(1, unknown, 7)));

      byte[] entry = resumeEntry(welcome);
      assertThat(entry[0]).as("kind: lost, a new session started").isEqualTo((byte) 2);
      assertThat(Arrays.copyOfRange(entry, 1, 17)).isNotEqualTo(unknown);
      assertThat(ByteBuffer.wrap(entry, 17, 8).getLong()).isZero();
      peer.writeData(1, echo(1));
      assertThat(seqOf(peer.readFrameSkippingControl())).isEqualTo(1);
    }
  }

  @Test
  void aPeerThatReadsEverythingButAcknowledgesNothingHoldsItsSenderAtTheBound() throws Exception {
    // every message is kept for replay until acknowledged, and counts against the outbound bound;
    // sends spaced apart are written from the sender's thread, which must count them too
    int bound = 32 * 1024;
    String text = "x".repeat(1000);
    AtomicInteger accepted = new AtomicInteger();
    AtomicReference<Throwable> refused = new AtomicReference<>();
    CountDownLatch senderDone = new CountDownLatch(1);
    AtomicReference<Connection<Object, Object>> connection = new AtomicReference<>();
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .config(
                    TetherConfig.builder()
                        .codecs("test")
                        .maxQueuedOutboundBytes(bound)
                        .sendTimeout(Duration.ofMillis(500))
                        .build())
                .sessionResumption(Duration.ofSeconds(30), 1 << 20)
                .onConnection(
                    c -> {
                      connection.set(c);
                      Thread sender =
                          new Thread(
                              () -> {
                                try {
                                  for (int i = 0; i < 2_000; i++) {
                                    c.send(new Msg(text, i));
                                    accepted.incrementAndGet();
                                    // apart, not in a burst: each send writes its own frame
                                    LockSupport.parkNanos(100_000);
                                  }
                                } catch (Throwable e) {
                                  refused.set(e);
                                } finally {
                                  senderDone.countDown();
                                }
                              },
                              "spaced-sender");
                      sender.setDaemon(true);
                      sender.start();
                    })
                .bind(new InetSocketAddress("127.0.0.1", 0));
        RawPeer peer = RawPeer.connect(server.address())) {
      peer.handshake(hello().extensions(resumeExtension(0, new byte[16], 0)));
      AtomicInteger read = new AtomicInteger();
      Thread reader =
          new Thread(
              () -> {
                try {
                  while (!Thread.currentThread().isInterrupted()) {
                    if (peer.readFrameAnsweringPings().type() == RawPeer.DATA) {
                      read.incrementAndGet(); // and never an ACK
                    }
                  }
                } catch (IOException e) {
                  // the test closes the peer
                }
              },
              "reads-all-acks-none");
      reader.setDaemon(true);
      reader.start();

      assertThat(senderDone.await(30, TimeUnit.SECONDS)).isTrue();
      assertThat(refused.get())
          .as("the send after the bound waits for an ACK, then times out")
          .isInstanceOf(TetherTimeoutException.class);
      assertThat(accepted.get())
          .as("messages accepted while none was acknowledged")
          .isBetween(bound / 1_100, bound / 1_000 + 2);
      assertThat(connection.get().trySend(new Msg(text, -1)))
          .as("nor does trySend go past the bound")
          .isEqualTo(SendResult.BACK_PRESSURED);
      await().atMost(Duration.ofSeconds(10)).until(() -> read.get() == accepted.get());
      reader.interrupt();
    }
  }

  @Test
  void aPeerThatReadsButNeverAcknowledgesHasItsSocketClosedAndResumesLosingNothing()
      throws Exception {
    // the server reads on for acknowledgements that never come, so only closing the socket bounds
    // what it keeps for replay: past twice its bound and one frame of the largest size the peer
    // accepts (64 KiB here), 128 KiB. The peer resumes from what it received, acknowledges from
    // then on, and gets every answer once (resuming again if the replay and new answers pass the
    // cap before its first ACK is read)
    int bound = 32 * 1024;
    int maxFrame = 64 * 1024;
    int requests = 400;
    Set<Long> answered = new HashSet<>();
    try (Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .config(
                TetherConfig.builder()
                    .codecs("test")
                    .maxQueuedOutboundBytes(bound)
                    .heartbeatInterval(Duration.ZERO) // the peer answers no PING
                    .idleTimeout(Duration.ZERO) // and only the missing ACKs may close it
                    .build())
            .sessionResumption(Duration.ofSeconds(30), 1 << 20)
            .onRequest((c, m) -> m)
            .bind(new InetSocketAddress("127.0.0.1", 0))) {
      byte[] token;
      long received = 0;
      try (RawPeer first = RawPeer.connect(server.address())) {
        RawPeer.Welcome welcome =
            first.handshake(
                hello().maxFrameSize(maxFrame).extensions(resumeExtension(0, new byte[16], 0)));
        token = Arrays.copyOfRange(resumeEntry(welcome), 1, 17);
        byte[] all = requests(1, requests);
        Thread writer =
            new Thread(
                () -> {
                  try {
                    first.write(all);
                  } catch (IOException e) {
                    // the server closed the socket: the next one writes the rest
                  }
                },
                "requests");
        writer.setDaemon(true);
        writer.start();
        try {
          while (true) {
            RawPeer.Frame frame = first.readFrame(); // and never an ACK
            if (frame.type() == RawPeer.RESPONSE) {
              assertThat(answered.add(frame.buffer().getLong())).isTrue();
              received++;
            }
          }
        } catch (SocketTimeoutException e) {
          throw new AssertionError("the server neither answered nor closed the socket", e);
        } catch (IOException e) {
          // closed by the server
        }
        writer.join(10_000);
      }
      assertThat(received * 1_000)
          .as(
              "bytes answered before the server closed the socket: at most what it keeps for replay"
                  + " and its bound")
          .isBetween(1L, 3L * bound + maxFrame + 2_000);

      int sockets = 1;
      while (answered.size() < requests) {
        assertThat(++sockets).as("sockets needed").isLessThanOrEqualTo(40);
        try (RawPeer next = RawPeer.connect(server.address())) {
          byte[] resumed =
              resumeEntry(
                  next.handshake(
                      hello()
                          .maxFrameSize(maxFrame)
                          .extensions(resumeExtension(1, token, received))));
          assertThat(resumed[0]).as("kind: resumed").isEqualTo((byte) 1);
          long serverReceived = ByteBuffer.wrap(resumed, 17, 8).getLong();
          next.write(requests(serverReceived + 1, requests)); // any it had not read, again
          while (answered.size() < requests) {
            RawPeer.Frame frame = next.readFrameSkippingControl();
            assertThat(frame.type()).as(frame.describe()).isEqualTo(RawPeer.RESPONSE);
            long id = frame.buffer().getLong();
            assertThat(answered.add(id)).as("answer to #%d arrives once", id).isTrue();
            if (++received % 16 == 0) { // this time it acknowledges
              next.writeFrame(ACK, ByteBuffer.allocate(8).putLong(received).array());
            }
          }
        } catch (SocketTimeoutException e) {
          throw new AssertionError("the server neither answered nor closed the socket", e);
        } catch (IOException e) {
          // closed again before its first ACK was read: resume once more
        }
      }
      System.out.printf("%d answers, none twice, over %d sockets%n", requests, sockets);
      assertThat(server.connections()).as("one session throughout").hasSize(1);
    }
  }

  /** REQUEST frames {@code from} to {@code to} (their ids), each carrying 1 KB, back to back. */
  private static byte[] requests(long from, long to) {
    ByteArrayOutputStream frames = new ByteArrayOutputStream();
    for (long id = from; id <= to; id++) {
      frames.writeBytes(RawPeer.requestFrame(id, 1, OutboundBoundTest.msg("x".repeat(1000), id)));
    }
    return frames.toByteArray();
  }

  @Test
  void inAResumableSessionAnAckThatIsNotEightBytesIsAProtocolError() throws Exception {
    try (Server<Object, Object> server = echoServer(Duration.ofSeconds(30));
        RawPeer peer = RawPeer.connect(server.address())) {
      peer.handshake(hello().extensions(resumeExtension(0, new byte[16], 0)));

      peer.writeFrame(0x40, new byte[3]); // ACK is known here: its body must be a u64

      RawPeer.GoAway goAway = peer.readGoAway();
      assertThat(goAway.code()).isEqualTo(1); // PROTOCOL_ERROR
      assertThat(goAway.reason()).isEqualTo("ACK body must be 8 bytes, was 3");
    }
  }

  @Test
  void aVersionZeroClientGetsAPlainConnection() throws Exception {
    try (Server<Object, Object> server = echoServer(Duration.ofSeconds(30));
        RawPeer peer = RawPeer.connect(server.address())) {
      RawPeer.Welcome welcome =
          peer.handshake(
              RawPeer.Hello.forTypes(TestTypes.TYPES)
                  .codecs("test")
                  .extensions(resumeExtension(0, new byte[16], 0))); // minor 0: ignored

      assertThat(welcome.minorVersion()).isZero();
      assertThat(welcome.extensions()).isEmpty();
      peer.writeData(1, echo(1));
      RawPeer.Frame frame = peer.readFrameAnsweringPings();
      assertThat(frame.type()).as("no ACK on a plain connection").isEqualTo(RawPeer.DATA);
    }
  }

  @Test
  void aSessionWhoseClientDoesNotComeBackClosesSayingSo() throws Exception {
    AtomicReference<ConnectionClosedException> closed = new AtomicReference<>();
    try (Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .sessionResumption(Duration.ofMillis(300), 1 << 20)
            .onClose((c, cause) -> closed.set(cause))
            .bind(new InetSocketAddress("127.0.0.1", 0))) {
      try (RawPeer peer = RawPeer.connect(server.address())) {
        peer.handshake(hello().extensions(resumeExtension(0, new byte[16], 0)));
        peer.resetAbruptly();
      }

      await().atMost(Duration.ofSeconds(10)).until(() -> closed.get() != null);
      assertThat(closed.get().reason()).contains("did not resume its session within 300 ms");
      assertThat(server.connections()).isEmpty();
    }
  }

  @Test
  void aSessionWhoseWelcomeNeverLeftIsNotKeptForAClientThatCannotKnowItsToken() throws Exception {
    CountDownLatch asked = new CountDownLatch(1);
    CountDownLatch reset = new CountDownLatch(1);
    AtomicReference<ConnectionClosedException> closed = new AtomicReference<>();
    try (Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .sessionResumption(Duration.ofMinutes(5), 1 << 20)
            // admits only once the client has gone: the WELCOME, with the token, finds no socket
            .authorizer(
                request -> {
                  asked.countDown();
                  reset.await();
                  return Admission.admit();
                })
            .onClose((c, cause) -> closed.set(cause))
            .bind(new InetSocketAddress("127.0.0.1", 0))) {
      try (RawPeer peer = RawPeer.connect(server.address())) {
        peer.writePreambleAndHello(hello().extensions(resumeExtension(0, new byte[16], 0)));
        assertThat(asked.await(10, TimeUnit.SECONDS)).isTrue();
        peer.resetAbruptly();
      }
      reset.countDown();

      // kept, it would wait for a client that never got its token, and hold its share of the
      // detached sessions' budget, for the whole session timeout
      await().atMost(Duration.ofSeconds(10)).until(() -> server.connections().isEmpty());
      assertThat(server.metrics().openConnections()).isZero();
    }
  }
}
