package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.testing.Hex;
import dev.tether.testing.Msg;
import dev.tether.testing.RawPeer;
import dev.tether.testing.TestTypes;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A client against a server written by hand that breaks the protocol after a sound handshake: what
 * the client's caller is told, and what the client writes back (PROTOCOL.md §7, §9). The requests'
 * own timeout is far longer than any wait here, so a request left waiting fails the test instead of
 * being rescued by its timer.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HostileServerTest {
  private static final TetherConfig CONFIG =
      TestTypes.QUIET.toBuilder()
          .requestTimeout(Duration.ofMinutes(5))
          .drainTimeout(Duration.ofSeconds(2))
          .build();

  private ServerSocket listener;
  private RawPeer server;
  private Connection<Object, Object> client;

  @BeforeEach
  void connect() throws Exception {
    listener = new ServerSocket(0, 10, java.net.InetAddress.getLoopbackAddress());
    CompletableFuture<Connection<Object, Object>> connecting =
        Tether.client(TestTypes.TYPES)
            .config(CONFIG)
            .connectAsync(new InetSocketAddress("127.0.0.1", listener.getLocalPort()));
    server = RawPeer.accepted(listener.accept());
    server.readPreamble();
    assertThat(server.readFrame().type()).isEqualTo(RawPeer.HELLO);
    server.write(RawPeer.preambleAndWelcome(TestTypes.TYPES, "test"));
    client = connecting.get(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void close() throws IOException {
    client.closeAsync();
    server.close();
    listener.close();
  }

  /** Reads the client's REQUEST and returns its id. */
  private long requestId() throws IOException {
    RawPeer.Frame request = server.readFrameSkippingControl();
    assertThat(request.type()).as(request.describe()).isEqualTo(RawPeer.REQUEST);
    return request.buffer().getLong();
  }

  private static byte[] response(long requestId, String rest) {
    return RawPeer.frame(
        RawPeer.RESPONSE,
        RawPeer.concat(ByteBuffer.allocate(8).putLong(requestId).array(), Hex.decode(rest)));
  }

  /**
   * A RESPONSE to an outstanding request whose status is sound but whose error code or type id is
   * malformed ends the connection with PROTOCOL_ERROR; the request it names is outstanding too, and
   * fails at once with the close like every other (§7: "every outstanding request fails
   * immediately"). It stayed waiting for its own timeout: the RESPONSE had taken it from the table
   * of outstanding requests before the rest of the frame was read.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "an ERROR whose u16 error code is cut short, 01 00, RESPONSE error code",
    "an OK whose type id is an overlong varint, 00 80 00, overlong varint"
  })
  void aMalformedResponseFailsTheRequestItAnswersWithTheConnection(
      String what, String rest, String named) throws Exception {
    CompletableFuture<Object> answer = client.request(new Msg("question", 1));
    server.write(response(requestId(), rest));

    assertThatThrownBy(() -> answer.get(5, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOfSatisfying(
            ConnectionClosedException.class,
            e -> assertThat(e.code()).isEqualTo(GoAwayCode.PROTOCOL_ERROR))
        .hasMessageContaining(named);
    RawPeer.GoAway goAway = server.readGoAway();
    assertThat(goAway.code()).isEqualTo(GoAwayCode.PROTOCOL_ERROR.code());
    assertThat(goAway.reason()).contains(named);
  }

  private static byte[] msgPayload(String text, long seq) {
    byte[] bytes = RawPeer.utf8(text);
    return ByteBuffer.allocate(12 + bytes.length)
        .putLong(seq)
        .putInt(bytes.length)
        .put(bytes)
        .array();
  }

  /**
   * A RESPONSE OK whose type id is not registered, or whose payload the codec cannot read, small
   * (decoded on the loop) or past 64 KiB (decoded elsewhere), fails the request it answers, and
   * that request alone: the caller is told that the peer's answer to its request could not be read,
   * and why, and the connection stays up (decision (ii)). The failure said only what the codec said
   * ("codec test: truncated Msg"), which reads like a fault of the caller's own message.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "a type id that is not registered, 99, 3, type id 99 is not registered",
    "a payload cut short, 1, 3, truncated Msg",
    "a payload of 100000 bytes that says it holds more, 1, 100000, exceeds the payload"
  })
  void aResponseThatCannotBeReadFailsItsRequestSayingSoAndTheConnectionStaysUp(
      String what, int typeId, int payloadBytes, String named) throws Exception {
    CompletableFuture<Object> answer = client.request(new Msg("question", 1));
    long id = requestId();
    byte[] payload = new byte[payloadBytes];
    payload[0] = 0x7f; // a Msg's u64 seq, then an i32 text length larger than what follows
    if (payloadBytes > 12) {
      payload[8] = 0x7f;
    }
    server.write(
        RawPeer.frame(
            RawPeer.RESPONSE,
            RawPeer.concat(
                ByteBuffer.allocate(8).putLong(id).array(),
                new byte[] {0},
                RawPeer.varint(typeId),
                payload)));

    assertThatThrownBy(() -> answer.get(5, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(dev.tether.codec.CodecException.class)
        .hasMessageContaining("the response to request #" + id + " (Msg)")
        .hasMessageContaining("from 127.0.0.1:" + listener.getLocalPort())
        .hasMessageContaining(named);

    CompletableFuture<Object> next = client.request(new Msg("again", 2));
    long nextId = requestId();
    server.write(
        RawPeer.frame(
            RawPeer.RESPONSE,
            RawPeer.concat(
                ByteBuffer.allocate(8).putLong(nextId).array(),
                new byte[] {0, 1},
                msgPayload("answer", 2))));
    assertThat(next.get(5, TimeUnit.SECONDS)).isEqualTo(new Msg("answer", 2));
    assertThat(client.isOpen()).isTrue();
  }

  /**
   * A server that answers the client's GOAWAY with an endless stream of DATA and never its own
   * GOAWAY: the client reads on for at most a bounded number of bytes (PROTOCOL.md §8, step 2: 64
   * MiB and one frame of its largest size), then closes saying why, long before its drain deadline.
   * It read and delivered the stream until the drain deadline passed, bounded by time alone.
   */
  @Test
  void aServerThatFloodsInsteadOfAnsweringTheGoAwayIsReadForABoundedNumberOfBytes()
      throws Exception {
    java.util.concurrent.atomic.AtomicLong delivered = new java.util.concurrent.atomic.AtomicLong();
    java.util.concurrent.atomic.AtomicLong written = new java.util.concurrent.atomic.AtomicLong();
    try (ServerSocket flooded =
        new ServerSocket(0, 10, java.net.InetAddress.getLoopbackAddress())) {
      CompletableFuture<Connection<Object, Object>> connecting =
          Tether.client(TestTypes.TYPES)
              .config(CONFIG.toBuilder().drainTimeout(Duration.ofMinutes(2)).build())
              .onMessage((c, m) -> delivered.incrementAndGet())
              .connectAsync(new InetSocketAddress("127.0.0.1", flooded.getLocalPort()));
      try (RawPeer flooding = RawPeer.accepted(flooded.accept())) {
        flooding.readPreamble();
        flooding.readFrame(); // HELLO
        flooding.write(RawPeer.preambleAndWelcome(TestTypes.TYPES, "test"));
        Connection<Object, Object> flood = connecting.get(10, TimeUnit.SECONDS);
        byte[] frame =
            RawPeer.frame(RawPeer.DATA, RawPeer.concat(new byte[] {1}, msgPayload("x", 1)));
        byte[] burst = new byte[frame.length * 4096];
        for (int i = 0; i < 4096; i++) {
          System.arraycopy(frame, 0, burst, i * frame.length, frame.length);
        }
        Thread writer =
            new Thread(
                () -> {
                  try {
                    while (written.get() < 4L << 30) {
                      flooding.write(burst);
                      written.addAndGet(burst.length);
                    }
                  } catch (IOException closed) {
                    // the client gave up on this server: what the test waits for
                  }
                },
                "flooding server");
        writer.start();
        java.util.concurrent.atomic.AtomicLong writtenAtGoAway =
            new java.util.concurrent.atomic.AtomicLong(-1);
        Thread reader =
            new Thread(
                () -> {
                  try {
                    while (flooding.readFrame().type() != RawPeer.GOAWAY) {
                      // the client's frames before its GOAWAY
                    }
                    writtenAtGoAway.set(written.get());
                  } catch (IOException | AssertionError closed) {
                    // no GOAWAY: the assertion below says so
                  }
                },
                "reading server");
        reader.start();

        ConnectionClosedException cause =
            flood.closeAsync().toCompletableFuture().get(30, TimeUnit.SECONDS);

        assertThat(cause.isGraceful()).isFalse();
        assertThat(cause.reason())
            .contains("closed by the application")
            .contains("kept sending after this side's GOAWAY");
        writer.join(30_000);
        reader.join(30_000);
        assertThat(writer.isAlive()).as("the client closed its socket").isFalse();
        assertThat(writtenAtGoAway.get()).as("the client's GOAWAY was read").isNotNegative();
        assertThat(written.get() - writtenAtGoAway.get())
            .as("bytes the server could write after the client's GOAWAY")
            .isLessThan((64L << 20) + (16L << 20) + (32L << 20)); // + a frame + socket buffers
      }
    }
  }

  /**
   * A GOAWAY whose reason fills a 15 MiB frame, while 200 requests are outstanding: each request
   * fails at once naming the code and the start of the reason, which is kept to the 1024 bytes §3
   * allows, saying how much was left out (decision (b)). The whole reason was kept and copied into
   * every request's failure, twice: the event loop ran out of a 1 GiB heap on the first few dozen.
   */
  @Test
  void aGoAwayWithAHugeReasonFailsEveryOutstandingRequestWithinBoundedMemory() throws Exception {
    java.util.List<CompletableFuture<Object>> answers = new java.util.ArrayList<>();
    for (int i = 0; i < 200; i++) {
      answers.add(client.request(new Msg("question", i)));
      requestId();
    }
    byte[] reason = new byte[15 << 20];
    java.util.Arrays.fill(reason, (byte) 'x');
    byte[] start = RawPeer.utf8("going away: ");
    System.arraycopy(start, 0, reason, 0, start.length);

    server.writeFrame(
        RawPeer.GOAWAY,
        RawPeer.concat(
            ByteBuffer.allocate(2).putShort((short) GoAwayCode.SHUTTING_DOWN.code()).array(),
            reason));

    for (CompletableFuture<Object> answer : answers) {
      assertThatThrownBy(() -> answer.get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOfSatisfying(
              ConnectionClosedException.class,
              e -> {
                assertThat(e.code()).isEqualTo(GoAwayCode.SHUTTING_DOWN);
                assertThat(e.reason())
                    .contains("going away: xxx")
                    .contains((reason.length - 1024) + " more bytes")
                    .hasSizeLessThan(2048);
              });
    }
    ConnectionClosedException closed =
        client.onClose().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(closed.code()).isEqualTo(GoAwayCode.SHUTTING_DOWN);
    assertThat(closed.reason()).startsWith("going away: xxx").hasSizeLessThan(2048);
    RawPeer.GoAway answer = server.readGoAway();
    assertThat(answer.code()).isEqualTo(GoAwayCode.NORMAL.code());
  }

  private static byte[] blobResponse(long requestId, long seq) {
    return RawPeer.frame(
        RawPeer.RESPONSE,
        RawPeer.concat(
            ByteBuffer.allocate(8).putLong(requestId).array(),
            new byte[] {0, 2}, // OK, type 2: Blob
            ByteBuffer.allocate(12).putLong(seq).putInt(0).array()));
  }

  /**
   * A server that answers in reverse order, answers one request twice, answers ids the client never
   * used or no longer waits for (cancelled, timed out): each request gets the first answer to its
   * id, the others are dropped (PROTOCOL.md decision (j)), and the connection stays up.
   */
  @Test
  void answersOutOfOrderTwiceOrToUnknownIdsLeaveEachRequestItsFirstAnswer() throws Exception {
    java.util.List<CompletableFuture<Object>> answers = new java.util.ArrayList<>();
    java.util.List<Long> ids = new java.util.ArrayList<>();
    for (int i = 0; i < 4; i++) {
      answers.add(client.request(new Msg("question", i)));
      ids.add(requestId());
    }
    CompletableFuture<Object> cancelled = client.request(new Msg("cancelled", 9));
    long cancelledId = requestId();
    cancelled.cancel(false);
    CompletableFuture<Object> timedOut = client.request(new Msg("late", 9), Duration.ofMillis(1));
    long timedOutId = requestId();
    assertThatThrownBy(() -> timedOut.get(10, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(TetherTimeoutException.class);

    server.write(blobResponse(cancelledId, 100));
    server.write(blobResponse(timedOutId, 101));
    server.write(blobResponse(Long.MAX_VALUE, 102));
    server.write(blobResponse(-1, 103));
    for (int i = ids.size() - 1; i >= 0; i--) {
      server.write(blobResponse(ids.get(i), i));
      server.write(response(ids.get(i), "01 0002 6e6f")); // ERROR HANDLER_FAILED "no"
      server.write(blobResponse(ids.get(i), 1000 + i));
    }

    for (int i = 0; i < answers.size(); i++) {
      Object answer = answers.get(i).get(10, TimeUnit.SECONDS);
      assertThat(answer).isInstanceOf(dev.tether.testing.Blob.class);
      assertThat(((dev.tether.testing.Blob) answer).seq()).isEqualTo(i);
    }
    assertThat(cancelled).isCancelled();
    CompletableFuture<Object> after = client.request(new Msg("after", 5));
    server.write(blobResponse(requestId(), 5));
    assertThat(((dev.tether.testing.Blob) after.get(10, TimeUnit.SECONDS)).seq()).isEqualTo(5);
    assertThat(client.isOpen()).isTrue();
    assertThat(client.metrics().pendingRequests()).isZero();
  }

  /**
   * The bound on what a closing side reads after its GOAWAY leaves room for the answers to its own
   * requests: eight responses of 12 MiB (96 MiB, past 64 MiB and one frame) that follow the
   * client's GOAWAY all complete their requests, and the close is graceful.
   */
  @Test
  void answersToOutstandingRequestsAfterTheGoAwayAreReadWhateverTheirSize() throws Exception {
    java.util.List<CompletableFuture<Object>> answers = new java.util.ArrayList<>();
    java.util.List<Long> ids = new java.util.ArrayList<>();
    for (int i = 0; i < 8; i++) {
      answers.add(client.request(new Msg("question", i)));
      ids.add(requestId());
    }
    CompletableFuture<ConnectionClosedException> closed = client.closeAsync().toCompletableFuture();
    assertThat(server.readFrameSkippingControl().type()).isEqualTo(RawPeer.GOAWAY);

    byte[] data = new byte[12 << 20];
    for (long id : ids) {
      server.write(
          RawPeer.frame(
              RawPeer.RESPONSE,
              RawPeer.concat(
                  ByteBuffer.allocate(8).putLong(id).array(),
                  new byte[] {0, 2}, // OK, type 2: Blob
                  ByteBuffer.allocate(12).putLong(id).putInt(data.length).array(),
                  data)));
    }
    server.writeGoAway(GoAwayCode.NORMAL.code(), "answered");

    for (int i = 0; i < answers.size(); i++) {
      Object answer = answers.get(i).get(20, TimeUnit.SECONDS);
      assertThat(answer).isInstanceOf(dev.tether.testing.Blob.class);
      assertThat(((dev.tether.testing.Blob) answer).seq()).isEqualTo(ids.get(i));
    }
    assertThat(closed.get(20, TimeUnit.SECONDS).isGraceful()).isTrue();
  }

  /**
   * DATA whose payload the codec cannot read closes the connection with CODEC_ERROR, the reason
   * naming the type id and the cause (PROTOCOL.md §7), whether the payload was decoded on the event
   * loop or, past 64 KiB, by the connection's dispatcher. The latter said only "cannot decode DATA:
   * codec test: length ... exceeds the payload", without the type.
   */
  @ParameterizedTest(name = "payload of {0} bytes")
  @CsvSource({"3", "100000"})
  void undecodableDataIsRefusedNamingItsTypeWhereverItIsDecoded(int payloadBytes) throws Exception {
    try (ServerSocket another =
        new ServerSocket(0, 10, java.net.InetAddress.getLoopbackAddress())) {
      CompletableFuture<Connection<Object, Object>> connecting =
          Tether.client(TestTypes.TYPES)
              .config(CONFIG)
              .onMessage((c, m) -> {})
              .connectAsync(new InetSocketAddress("127.0.0.1", another.getLocalPort()));
      try (RawPeer peer = RawPeer.accepted(another.accept())) {
        peer.readPreamble();
        peer.readFrame(); // HELLO
        peer.write(RawPeer.preambleAndWelcome(TestTypes.TYPES, "test"));
        Connection<Object, Object> handled = connecting.get(10, TimeUnit.SECONDS);
        byte[] payload = new byte[payloadBytes];
        if (payloadBytes > 12) {
          payload[8] = 0x7f; // a text length far past the payload
        }

        peer.writeData(1, payload);

        RawPeer.GoAway goAway = peer.readGoAway();
        assertThat(goAway.code()).isEqualTo(GoAwayCode.CODEC_ERROR.code());
        assertThat(goAway.reason())
            .startsWith("cannot decode DATA of type 1 (test.Msg) with codec test: codec test: ");
        ConnectionClosedException cause =
            handled.onClose().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(cause.code()).isEqualTo(GoAwayCode.CODEC_ERROR);
        assertThat(cause.reason()).startsWith(goAway.reason());
      }
    }
  }

  /**
   * A REQUEST whose payload the codec cannot read is answered with DECODE_FAILED naming the type
   * and the codec (PROTOCOL.md §7), decoded on the loop or, past 64 KiB, by the dispatcher; the
   * connection stays up. The latter answered only with the codec's words.
   */
  @ParameterizedTest(name = "payload of {0} bytes")
  @CsvSource({"3", "100000"})
  void anUndecodableRequestIsAnsweredNamingItsTypeWhereverItIsDecoded(int payloadBytes)
      throws Exception {
    byte[] payload = new byte[payloadBytes];
    if (payloadBytes > 12) {
      payload[8] = 0x7f;
    }

    server.writeRequest(7, 1, payload);

    RawPeer.Frame answer = server.readFrameSkippingControl();
    assertThat(answer.type()).as(answer.describe()).isEqualTo(RawPeer.RESPONSE);
    ByteBuffer body = answer.buffer();
    assertThat(body.getLong()).isEqualTo(7);
    assertThat(body.get()).as("status ERROR").isEqualTo((byte) 1);
    assertThat(body.getShort()).isEqualTo((short) RequestErrorCode.DECODE_FAILED.code());
    assertThat(new String(answer.body(), 11, answer.body().length - 11, "UTF-8"))
        .startsWith("cannot decode test.Msg with codec test: codec test: ");
    assertThat(client.isOpen()).isTrue();
  }
}
