package dev.tether.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.ConnectionClosedException;
import dev.tether.GoAwayCode;
import dev.tether.MessageTypes;
import dev.tether.Server;
import dev.tether.Tether;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.testing.ContractTypes.Text;
import dev.tether.testing.RawPeer.Frame;
import dev.tether.testing.RawPeer.GoAway;
import dev.tether.testing.RawPeer.Hello;
import dev.tether.testing.RawPeer.Welcome;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A message that fails to decode on a live connection (PROTOCOL.md §7): a REQUEST is answered with
 * RESPONSE ERROR DECODE_FAILED and the connection stays up; a DATA message, which has no one to
 * answer, closes the connection with GOAWAY CODEC_ERROR whose reason names the type and the cause.
 *
 * <p>A real server with the codec under test serves {@link ContractTypes} and echoes; the client is
 * a {@link RawPeer}, so that it can send bytes no codec would produce, and encodes its valid
 * messages with the same codec.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
public abstract class CodecFailureContract {
  private static final MessageTypes TYPES = ContractTypes.TYPES;
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final int TEXT_ID = TYPES.entryFor(Text.class).id();
  private static final String TEXT_NAME = TYPES.entryFor(Text.class).name();

  private final AtomicReference<ConnectionClosedException> serverSawClose = new AtomicReference<>();
  private Server<Object, Object> server;
  private RawPeer peer;

  /** Returns the name (or an alias) under which the codec under test is registered. */
  protected abstract String codecName();

  /**
   * Returns a payload the codec cannot decode as {@link Text}. By default a valid encoding cut in
   * half, which {@link HostileInputContract} already requires every codec to reject.
   */
  protected byte[] undecodableTextPayload() {
    byte[] whole = ContractCodecs.encode(codec(), new Text("cut short 𝄞", "here"));
    return Arrays.copyOf(whole, whole.length / 2);
  }

  /** Returns the codec under test, created for {@link ContractTypes#TYPES}. */
  protected final Codec codec() {
    return ContractCodecs.codec(codecName());
  }

  @BeforeEach
  void startServerAndHandshake() throws IOException {
    server =
        Tether.server(TYPES)
            .codecs(codecName())
            .onMessage((connection, message) -> connection.send(message))
            .onRequest((connection, request) -> request)
            .onClose((connection, cause) -> serverSawClose.set(cause))
            .bind(new InetSocketAddress("127.0.0.1", 0));
    peer = RawPeer.connect(server.address());
    Welcome welcome = peer.handshake(Hello.forTypes(TYPES).codecs(codec().name()));
    assertThat(welcome.codec()).isEqualTo(codec().name());
  }

  @AfterEach
  void closeAll() throws IOException {
    try {
      peer.close();
    } finally {
      server.close(Duration.ofSeconds(3));
    }
  }

  @Test
  void undecodableRequestIsAnsweredWithDecodeFailedAndTheConnectionStaysUp() throws IOException {
    byte[] garbage = undecodableTextPayload();

    peer.writeRequest(1, TEXT_ID, garbage);

    Frame error = peer.readFrameAnsweringPings();
    assertThat(error.type()).as(error.describe()).isEqualTo(RawPeer.RESPONSE);
    ByteBuffer body = error.buffer();
    assertThat(body.getLong()).as("request id").isEqualTo(1);
    assertThat(body.get()).as("status ERROR").isEqualTo((byte) 1);
    assertThat(body.getShort()).as("errorCode DECODE_FAILED").isEqualTo((short) 3);
    String message = StandardCharsets.UTF_8.decode(body).toString();
    assertThat(message).contains(TEXT_NAME).contains(codec().name());

    Text valid = new Text("still up 𝄞", null);
    peer.writeRequest(2, TEXT_ID, ContractCodecs.encode(codec(), valid));

    Frame ok = peer.readFrameAnsweringPings();
    assertThat(ok.type()).as(ok.describe()).isEqualTo(RawPeer.RESPONSE);
    ByteBuffer answer = ok.buffer();
    assertThat(answer.getLong()).as("request id").isEqualTo(2);
    assertThat(answer.get()).as("status OK").isZero();
    assertThat(answer.get()).as("varint type id").isEqualTo((byte) TEXT_ID);
    assertThat(codec().decode(Text.class, answer)).isEqualTo(valid);
    assertThat(server.connections()).hasSize(1);
  }

  @Test
  void undecodableDataClosesTheConnectionWithCodecErrorNamingTypeAndCause() throws IOException {
    byte[] garbage = undecodableTextPayload();
    String cause = causeOfFailure(garbage);

    peer.writeData(TEXT_ID, garbage);

    Frame frame = peer.readFrameAnsweringPings();
    assertThat(frame.type()).as(frame.describe()).isEqualTo(RawPeer.GOAWAY);
    GoAway goAway = GoAway.parse(frame.body());
    assertThat(goAway.code()).as("CODEC_ERROR").isEqualTo(13);
    assertThat(goAway.reason())
        .as("GOAWAY reason names the type id, the type name, the codec and the cause")
        .containsPattern("\\b" + TEXT_ID + "\\b")
        .contains(TEXT_NAME)
        .contains(codec().name())
        .contains(cause.substring(0, Math.min(cause.length(), 60)));
    peer.assertEndOfStream();
    peer.close();

    await().atMost(WAIT).until(() -> serverSawClose.get() != null);
    ConnectionClosedException closed = serverSawClose.get();
    assertThat(closed.code()).isEqualTo(GoAwayCode.CODEC_ERROR);
    assertThat(closed.isRemote()).as("the server decided to close").isFalse();
    assertThat(closed.reason())
        .as("the whole reason, of which GOAWAY carries at most 1021 bytes")
        .startsWith(goAway.reason());
  }

  /** Returns the codec's own message for failing to decode {@code payload} as {@link Text}. */
  private String causeOfFailure(byte[] payload) {
    try {
      codec().decode(Text.class, ByteBuffer.wrap(payload));
    } catch (CodecException e) {
      return e.getMessage();
    }
    throw new AssertionError(
        "undecodableTextPayload() decodes as Text with " + codecName() + "; override it");
  }
}
