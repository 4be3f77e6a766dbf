package dev.tether.internal.engine;

import dev.tether.GoAwayCode;
import dev.tether.HandshakeException;
import dev.tether.codec.Codec;
import dev.tether.internal.wire.Extensions;
import dev.tether.internal.wire.FrameType;
import dev.tether.internal.wire.GoAway;
import dev.tether.internal.wire.Handshake;
import dev.tether.internal.wire.Preamble;
import dev.tether.internal.wire.ProtocolException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The handshake of PROTOCOL.md §2 and §4 for one connection: the client's preamble and HELLO, the
 * server's judgement and WELCOME, the client's check of the WELCOME, and the creation of the codec
 * both agreed on. Every refusal is a {@link ProtocolException} with the GOAWAY code and a reason
 * naming both sides' values; the connection sends it and closes.
 *
 * <p>Loop thread only.
 */
final class Handshaker {
  private static final Logger log = LoggerFactory.getLogger(Handshaker.class);

  private final RealConnection<?, ?> connection;
  private boolean preambleSent;

  Handshaker(RealConnection<?, ?> connection) {
    this.connection = connection;
  }

  /** Client: writes the preamble and HELLO together, without waiting for the server. */
  void sendHello() {
    var config = connection.config;
    Handshake hello =
        new Handshake(
            Handshake.MINOR_VERSION,
            config.nodeId(),
            connection.types.appProtocol(),
            connection.types.fingerprint(),
            connection.codecNames,
            connection.serverName,
            config.maxFrameBytes(),
            config.heartbeatInterval().toMillis(),
            config.idleTimeout().toMillis(),
            helloExtensions().encode());
    connection.outbound.startSocket(concat(Preamble.bytes(), hello.encodeHello()));
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] both = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    return both;
  }

  /**
   * The client's extensions: its schema text, so that a server with other message types can say
   * which ids or names differ (PROTOCOL.md §5).
   */
  private Extensions helloExtensions() {
    return Extensions.NONE.with(
        Extensions.SCHEMA,
        connection.types.fingerprintText().getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /** Server: writes its preamble once, before a refusal. */
  void sendServerPreamble() {
    if (!connection.client && !preambleSent) {
      preambleSent = true;
      connection.outbound.startSocket(Preamble.bytes());
    }
  }

  void onPreamble(byte[] preamble) throws ProtocolException {
    if (Preamble.matches(preamble)) {
      return;
    }
    String seen = Preamble.describe(preamble, preamble.length);
    if (connection.client) {
      throw new ProtocolException(
          GoAwayCode.PROTOCOL_ERROR,
          connection.peerName + " is not a Tether endpoint: it answered " + seen);
    }
    String why =
        Preamble.isOtherVersion(preamble)
            ? "it speaks Tether protocol major version " + (preamble[7] & 0xFF) + ", not 1"
            : "not a Tether client, it sent " + seen;
    preambleSent = true; // PROTOCOL.md §2: a server closes without writing a byte
    throw new ProtocolException(GoAwayCode.PROTOCOL_ERROR, why, true);
  }

  /** Routes a frame that arrived before the handshake completed; returns true to read on. */
  boolean onFrame(int type, java.nio.ByteBuffer body) throws ProtocolException {
    if (type == FrameType.GOAWAY) {
      GoAway goAway = GoAway.decode(body);
      connection.refusedByPeer(
          new HandshakeException(
              goAway.knownCode(),
              goAway.code(),
              (connection.client
                      ? "server " + connection.peerName + " refused the handshake: "
                      : "")
                  + goAway.reason(),
              true,
              null));
      return false;
    }
    if (connection.client) {
      if (type != FrameType.WELCOME) {
        throw new ProtocolException(
            GoAwayCode.PROTOCOL_ERROR,
            "expected WELCOME or GOAWAY from the server, got " + FrameType.name(type));
      }
      Handshake welcome = Handshake.decodeWelcome(body);
      HandshakeJudge.checkWelcome(
          welcome, connection.types, connection.codecNames, connection.serverName);
      String codecName = welcome.codecs().get(0);
      connection.opened(welcome, codecName, createCodec(codecName, "client"));
      return true;
    }
    if (type != FrameType.HELLO) {
      throw new ProtocolException(
          GoAwayCode.PROTOCOL_ERROR,
          "expected HELLO as the client's first frame, got " + FrameType.name(type));
    }
    Handshake hello = Handshake.decodeHello(body);
    String codecName =
        HandshakeJudge.judgeHello(
            hello, connection.types, connection.codecNames, connection.serverName);
    String overload = connection.listener.admissionRefusal(connection);
    if (overload != null) {
      throw new ProtocolException(GoAwayCode.INTERNAL_ERROR, overload);
    }
    Codec codec = createCodec(codecName, "server");
    var config = connection.config;
    Handshake welcome =
        new Handshake(
            Handshake.MINOR_VERSION,
            config.nodeId(),
            connection.types.appProtocol(),
            connection.types.fingerprint(),
            List.of(codecName),
            connection.serverName,
            config.maxFrameBytes(),
            config.heartbeatInterval().toMillis(),
            config.idleTimeout().toMillis(),
            new byte[0]);
    preambleSent = true;
    connection.outbound.startSocket(concat(Preamble.bytes(), welcome.encodeWelcome()));
    connection.opened(hello, codecName, codec);
    return true;
  }

  /** Creates the agreed codec; a codec that cannot start is refused at once, saying why. */
  private Codec createCodec(String name, String side) throws ProtocolException {
    try {
      return CodecRegistry.codec(name, connection.types);
    } catch (Throwable t) {
      log.error("codec {} failed to initialise on this {}", name, side, t);
      throw new ProtocolException(
          GoAwayCode.INTERNAL_ERROR,
          "codec " + name + " failed to initialise on the " + side + ": " + t);
    }
  }
}
