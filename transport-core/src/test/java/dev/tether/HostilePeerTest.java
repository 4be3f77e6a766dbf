package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.CapturedLog;
import dev.tether.testing.Heap;
import dev.tether.testing.Hex;
import dev.tether.testing.Msg;
import dev.tether.testing.RawPeer;
import dev.tether.testing.TestTypes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Hostile peers against a real server, each while a well-behaved client keeps exchanging requests
 * that must all succeed: the server closes each offender, names its fault in one log line (not one
 * per frame), keeps its heap bounded while the offender is at it, and the good client never
 * notices. Peers are written by hand ({@link RawPeer}, plain sockets), so they can break every
 * rule.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HostilePeerTest {
  /** Timeouts short enough that each offence is judged within a few seconds. */
  private static final TetherConfig CONFIG =
      TetherConfig.builder()
          .codecs("test")
          .handshakeTimeout(Duration.ofSeconds(2))
          .idleTimeout(Duration.ofSeconds(2))
          .heartbeatInterval(Duration.ofMillis(500))
          .maxQueuedOutboundBytes(64 * 1024)
          .build();

  /** How much the server's heap, after a full GC, may grow while one offender is at work. */
  private static final long HEAP_GROWTH_LIMIT = 8L * 1024 * 1024;

  private CapturedLog log;
  private Server<Object, Object> server;
  private GoodClient good;
  private long heapBefore;
  private final List<AutoCloseable> peers = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    log = new CapturedLog();
    server =
        Tether.server(TestTypes.TYPES)
            .config(CONFIG)
            .onRequest((c, m) -> m)
            .onMessage((c, m) -> {})
            .bind(new InetSocketAddress("127.0.0.1", 0));
    good = new GoodClient(Tether.client(TestTypes.TYPES).config(CONFIG).connect(server.address()));
    good.awaitServed(20);
    heapBefore = heapAfterGc();
  }

  @AfterEach
  void stop() throws Exception {
    try {
      good.close(); // asserts that every request succeeded
    } finally {
      for (AutoCloseable peer : peers) {
        peer.close();
      }
      server.close(Duration.ofSeconds(3));
      log.close();
    }
  }

  // ------------------------------------------------------------------ not Tether at all

  @Test
  void anHttpRequestIsClosedWithoutAByteWrittenAndNamedOnce() throws Exception {
    RawPeer peer = peer();
    peer.write(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));

    peer.assertEndOfStream();
    assertNamedOnce(peer, "not a Tether client, it sent \"GET / HT\"");
  }

  @Test
  void aTlsClientHelloIsToldThisServerDoesNotUseTlsAndNamedOnce() throws Exception {
    RawPeer peer = peer();
    // the start of a TLS 1.2 ClientHello: handshake record, version 3.1, length, ClientHello
    peer.writeHex("16 03 01 00 a5 01 00 00 a1 03 03" + " 5a".repeat(32) + " 00 00 02 c0 2f 01 00");

    // PROTOCOL.md §12 (y): a plaintext server answers a TLS record with its preamble and a GOAWAY
    // a TLS client can recognise, so its user reads the cause instead of a handshake failure
    RawPeer.GoAway refusal = peer.readRefusal();
    assertThat(refusal.code()).isEqualTo(GoAwayCode.PROTOCOL_ERROR.code());
    assertThat(refusal.reason())
        .contains("started a TLS handshake, but this server does not use TLS");
    peer.assertEndOfStream();
    assertNamedOnce(peer, "started a TLS handshake, but this server does not use TLS");
  }

  @Test
  void aSlowlorisSendingOneBytePerSecondIsCutOffAtTheHandshakeTimeout() throws Exception {
    RawPeer peer = peer();
    long start = System.nanoTime();
    AtomicReference<IOException> writeFailure = new AtomicReference<>();
    Thread slow =
        new Thread(
            () -> {
              byte[] hello = RawPeer.concat(RawPeer.PREAMBLE, helloFrame(hello()));
              try {
                for (int i = 0; i < hello.length && i < 10; i++) {
                  peer.write(new byte[] {hello[i]});
                  LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1)); // the offence: 1 byte/s
                }
              } catch (IOException e) {
                writeFailure.set(e); // the server closed on us: what is expected
              }
            });
    slow.setDaemon(true);
    slow.start();

    RawPeer.GoAway refusal = peer.readRefusal();
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    assertThat(refusal.code()).isEqualTo(GoAwayCode.HANDSHAKE_TIMEOUT.code());
    assertThat(millis).as("ms until the slowloris was cut off").isBetween(1_900L, 4_000L);
    assertNamedOnce(peer, "within the handshake timeout of 2000 ms");
    slow.join(15_000);
  }

  // ------------------------------------------------------------------ bad frames

  @Test
  void aFrameOfLengthZeroIsAProtocolErrorNamedOnce() throws Exception {
    RawPeer peer = handshaken();
    peer.writeHex("00 00 00 00"); // length 0: not even a type byte

    assertThat(readGoAwaySkippingControl(peer).code()).isEqualTo(GoAwayCode.PROTOCOL_ERROR.code());
    peer.assertEndOfStream();
    assertNamedOnce(peer, "frame length 0");
  }

  @Test
  void aFrameOfLength2To31Minus1IsTooLargeBeforeAnythingIsAllocated() throws Exception {
    RawPeer peer = handshaken();
    peer.writeHex("7f ff ff ff 03 01"); // length 2^31-1, DATA, and then nothing of the body

    assertThat(readGoAwaySkippingControl(peer).code()).isEqualTo(GoAwayCode.FRAME_TOO_LARGE.code());
    peer.assertEndOfStream();
    assertNamedOnce(peer, "frame length 2147483647 exceeds the limit");
  }

  @Test
  void aFrameAnnouncing16MiBFollowedBySilenceHoldsNoMemoryAndIsClosedWhenIdle() throws Exception {
    RawPeer peer = handshaken();
    peer.writeHex("01 00 00 00 03 01 00 00"); // 16 MiB announced (the limit), 3 bytes sent

    // the server waits for the rest with a buffer the size of what arrived, not what was announced
    await().atMost(Duration.ofSeconds(1)).until(() -> server.metrics().bytesReceived() > 0);
    assertHeapBounded("a peer that announced 16 MiB and sent 3 bytes");

    long start = System.nanoTime();
    assertThat(readGoAwaySkippingControl(peer).code()).isEqualTo(GoAwayCode.IDLE_TIMEOUT.code());
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(4_000);
    peer.assertEndOfStream();
    assertNamedOnce(peer, "no frame received from");
  }

  @Test
  void overlongAndOversizedVarintsAreProtocolErrorsNamedOnce() throws Exception {
    for (String typeId : List.of("81 00", "ff ff ff ff 0f", "80 80 80 80 80 01")) {
      RawPeer peer = handshaken();
      peer.writeFrame(RawPeer.DATA, Hex.decode(typeId + " 00 00 00 00 00 00 00 01 00 00 00 00"));

      assertThat(readGoAwaySkippingControl(peer).code())
          .as("type id %s", typeId)
          .isEqualTo(GoAwayCode.PROTOCOL_ERROR.code());
      peer.assertEndOfStream();
      assertNamedOnce(peer, "varint");
    }
  }

  @Test
  void aHelloWhoseCountsExceedItsBytesIsRefusedAsAProtocolErrorNamedOnce() throws Exception {
    byte[] valid = hello().body();
    List<byte[]> lies =
        List.of(
            // codec count 16, but the one codec that follows is all there is
            patch(valid, 10 + 2 + TestTypes.TYPES.appProtocol().length() + 8, (byte) 16),
            // appProtocol announcing 65535 bytes of the few that follow
            patch(valid, 10, (byte) 0xff, (byte) 0xff),
            // an extensions field announcing 65535 bytes, with none after it
            RawPeer.concat(Arrays.copyOf(valid, valid.length - 2), Hex.decode("ff ff")));
    for (byte[] body : lies) {
      RawPeer peer = peer();
      peer.write(RawPeer.concat(RawPeer.PREAMBLE, RawPeer.frame(RawPeer.HELLO, body)));

      RawPeer.GoAway refusal = peer.readRefusal();
      assertThat(refusal.code()).isEqualTo(GoAwayCode.PROTOCOL_ERROR.code());
      assertThat(refusal.reason()).contains("truncated frame");
      assertNamedOnce(peer, "truncated frame");
    }
  }

  // ------------------------------------------------------------------ floods

  @Test
  void aFloodOfTinyFramesIsServedWithoutGrowingTheServerOrDelayingOthers() throws Exception {
    RawPeer peer = handshaken();
    byte[] tiny = RawPeer.frame(0x41, new byte[0]); // ancillary: skipped
    byte[] data = RawPeer.frame(RawPeer.DATA, RawPeer.concat(RawPeer.varint(1), msgBytes(7)));
    ByteArrayOutputStream batch = new ByteArrayOutputStream();
    for (int i = 0; i < 1000; i++) {
      batch.writeBytes(i % 2 == 0 ? tiny : data);
    }
    byte[] bytes = batch.toByteArray();
    long served = good.served();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    long frames = 0;
    while (System.nanoTime() - deadline < 0 && frames < 5_000_000) {
      peer.write(bytes); // TCP holds the flooder back when the server's inbound queue is full
      frames += 1000;
    }
    good.awaitServed(served + 20);
    assertHeapBounded("a peer flooding " + frames + " tiny frames");

    // the flood broke no rule: the flooder is still served
    peer.writeFrame(RawPeer.PING, Hex.decode("01 02 03 04 05 06 07 08"));
    RawPeer.Frame pong = readFrameSkipping(peer, RawPeer.PING);
    assertThat(pong.type()).isEqualTo(RawPeer.PONG);
    assertThat(log.linesNaming(peer.localPort())).as("log lines naming the flooder").isEmpty();
  }

  @Test
  void aPeerFloodingPingsThatNeverReadsIsClosedAsAPingFloodNamedOnce() throws Exception {
    // PONGs go ahead of the outbound queue, so they never fill it: the server recognises the flood
    // itself (more PINGs than it could write PONGs for, the peer reading none of them)
    byte[] ping = RawPeer.frame(RawPeer.PING, Hex.decode("01 02 03 04 05 06 07 08"));
    floodWithoutReading(ping, "PING flood");
  }

  @Test
  void aPeerFloodingRequestsOfUnknownTypesThatNeverReadsIsClosedNamedOnce() throws Exception {
    byte[] request =
        RawPeer.frame(
            RawPeer.REQUEST,
            RawPeer.concat(Hex.decode("00 00 00 00 00 00 00 07"), RawPeer.varint(99)));
    floodWithoutReading(request, "has read nothing for");
  }

  /**
   * A peer that sends {@code frame} over and over and never reads what the server answers: the
   * server's queue stays bounded (answers fill it, then the server stops reading and TCP pushes
   * back on the flooder), and the server closes the flooder, saying {@code why}.
   */
  private void floodWithoutReading(byte[] frame, String why) throws Exception {
    RawPeer peer = handshaken(8192);
    byte[] batch = new byte[frame.length * 1000];
    for (int i = 0; i < 1000; i++) {
      System.arraycopy(frame, 0, batch, i * frame.length, frame.length);
    }
    AtomicLong written = new AtomicLong();
    Thread flooder =
        new Thread(
            () -> {
              try {
                while (written.get() < 256L * 1024 * 1024) {
                  peer.write(batch);
                  written.addAndGet(batch.length);
                }
              } catch (IOException e) {
                // closed by the server: the end of the flood
              }
            },
            "flooder");
    flooder.setDaemon(true);
    flooder.start();
    int port = peer.localPort();

    await().atMost(Duration.ofSeconds(15)).until(() -> !log.linesNaming(port).isEmpty());
    assertHeapBounded("a peer that flooded " + written.get() + " bytes and read nothing");
    assertNamedOnce(peer, why);
    flooder.join(15_000);
    assertThat(flooder.isAlive()).as("the flood ended when the server closed").isFalse();
  }

  // ------------------------------------------------------------------ abandoned handshakes

  @Test
  void twoThousandConnectionsAbandonedMidHandshakeAreAllCleanedUp() throws Exception {
    List<Integer> ports = abandonMidHandshake(2000);
    long afterFirst = heapAfterGc();
    for (int port : List.of(ports.get(0), ports.get(1), ports.get(1998), ports.get(1999))) {
      // one line per connection; a port closed by a reset is free at once, and the kernel may
      // hand it to a later connection of the same round
      int connections = Collections.frequency(ports, port);
      await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(() -> assertThat(log.linesNaming(port)).hasSize(connections));
    }

    // a leak shows as growth that repeats with every round; what the first round left (this
    // test's log capture, JIT code, pools that have grown) does not
    long logBefore = log.heldBytes();
    abandonMidHandshake(2000);
    long growth = heapAfterGc() - afterFirst - (log.heldBytes() - logBefore);
    assertThat(growth)
        .as("heap grown by a second round of 2,000 abandoned handshakes, less the log captured")
        .isLessThan(2L * 1024 * 1024);
  }

  /**
   * Opens {@code count} connections that each send the preamble and part of a HELLO: every other
   * one is then reset, the rest stay silent until the server's handshake timeout closes them.
   * Returns the ports of all of them, in order.
   */
  private List<Integer> abandonMidHandshake(int count) throws Exception {
    byte[] half = RawPeer.concat(RawPeer.PREAMBLE, Arrays.copyOf(helloFrame(hello()), 20));
    List<Socket> held = new ArrayList<>();
    List<Integer> ports = new ArrayList<>();
    try {
      for (int i = 0; i < count; i++) {
        Socket s = new Socket();
        s.connect(server.address(), 5000);
        s.getOutputStream().write(half);
        ports.add(s.getLocalPort());
        if (i % 2 == 0) {
          s.setSoLinger(true, 0);
          s.close(); // gone mid-handshake: a reset
        } else {
          held.add(s); // stays, silent, until the handshake timeout
        }
      }
      assertHeapBounded(count / 2 + " connections held mid-handshake");
      for (Socket s : held) {
        s.setSoTimeout(5000);
        // the server announces the timeout (PROTOCOL.md decision (m)), then closes
        byte[] all = s.getInputStream().readAllBytes();
        assertThat(all.length).as("preamble and GOAWAY").isGreaterThan(RawPeer.PREAMBLE.length);
      }
    } finally {
      for (Socket s : held) {
        s.close();
      }
    }
    return ports;
  }

  // ------------------------------------------------------------------ helpers

  private RawPeer peer() throws IOException {
    return peer(0);
  }

  private RawPeer peer(int receiveBufferBytes) throws IOException {
    RawPeer peer = RawPeer.connect(server.address(), receiveBufferBytes);
    peers.add(peer);
    return peer;
  }

  private RawPeer handshaken() throws IOException {
    return handshaken(0);
  }

  private RawPeer handshaken(int receiveBufferBytes) throws IOException {
    RawPeer peer = peer(receiveBufferBytes);
    peer.handshake(hello());
    return peer;
  }

  private static RawPeer.Hello hello() {
    return RawPeer.Hello.forTypes(TestTypes.TYPES).codecs("test");
  }

  private static byte[] helloFrame(RawPeer.Hello hello) {
    return RawPeer.frame(RawPeer.HELLO, hello.body());
  }

  private static byte[] patch(byte[] bytes, int at, byte... values) {
    byte[] copy = bytes.clone();
    System.arraycopy(values, 0, copy, at, values.length);
    return copy;
  }

  /** The {@code test} codec's encoding of a {@link Msg} with empty text: u64 seq, u32 length 0. */
  private static byte[] msgBytes(long seq) {
    return ByteBuffer.allocate(12).putLong(seq).putInt(0).array();
  }

  /**
   * Reads frames until a GOAWAY, skipping the server's PINGs without answering them (a peer in the
   * middle of a frame cannot answer) and ancillary frames.
   */
  private static RawPeer.GoAway readGoAwaySkippingControl(RawPeer peer) throws IOException {
    RawPeer.Frame frame = readFrameSkipping(peer, RawPeer.PING);
    assertThat(frame.type()).as(frame.describe()).isEqualTo(RawPeer.GOAWAY);
    return RawPeer.GoAway.parse(frame.body());
  }

  private static RawPeer.Frame readFrameSkipping(RawPeer peer, int skipped) throws IOException {
    RawPeer.Frame frame = peer.readFrame();
    while (frame.type() == skipped || frame.type() >= 0x40) {
      frame = peer.readFrame();
    }
    return frame;
  }

  /**
   * Asserts that the server's log names the peer exactly once, in a line that says {@code why}: one
   * line per offender, however many frames it sent.
   */
  private void assertNamedOnce(RawPeer peer, String why) {
    int port = peer.localPort();
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> log.linesNaming(port).stream().anyMatch(line -> line.contains(why)));
    await()
        .during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(2))
        .untilAsserted(
            () ->
                assertThat(log.linesNaming(port))
                    .as("log lines naming the offender at port %d", port)
                    .hasSize(1));
  }

  private void assertHeapBounded(String what) {
    long growth = heapAfterGc() - heapBefore;
    assertThat(growth)
        .as("growth of the heap, after a full GC, with %s", what)
        .isLessThan(HEAP_GROWTH_LIMIT);
  }

  static long heapAfterGc() {
    return Heap.usedAfterGc();
  }

  /**
   * A well-behaved client that keeps exchanging requests with the server, paced at about one per
   * millisecond, each checked; {@link #close} asserts that every one succeeded in time.
   */
  static final class GoodClient implements AutoCloseable {
    private static final Duration MAX_LATENCY = Duration.ofSeconds(3);

    private final Connection<Object, Object> connection;
    private final Thread thread;
    private final AtomicLong served = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean stopped;

    GoodClient(Connection<Object, Object> connection) {
      this.connection = connection;
      this.thread = new Thread(this::run, "good-client");
      thread.setDaemon(true);
      thread.start();
    }

    private void run() {
      try {
        for (long i = 0; !stopped && i < 10_000_000; i++) {
          Msg request = new Msg("good", i);
          Object answer =
              connection.request(request).get(MAX_LATENCY.toMillis(), TimeUnit.MILLISECONDS);
          if (!request.equals(answer)) {
            throw new AssertionError("answer " + answer + " to " + request);
          }
          served.incrementAndGet();
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // pacing the good client
        }
      } catch (Throwable t) {
        failure.set(t);
      }
    }

    long served() {
      return served.get();
    }

    void awaitServed(long count) {
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> served.get() >= count || failure.get() != null);
      assertThat(failure.get()).as("the good client's failure").isNull();
    }

    @Override
    public void close() throws InterruptedException {
      stopped = true;
      thread.join(10_000);
      connection.close();
      assertThat(failure.get()).as("the good client's failure").isNull();
      assertThat(served.get()).as("requests the good client exchanged").isPositive();
    }
  }
}
