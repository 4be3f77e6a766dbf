package dev.tether.internal.engine;

import dev.tether.AccessRequest;
import dev.tether.Credentials;
import dev.tether.GoAwayCode;
import dev.tether.HandshakeException;
import dev.tether.codec.Codec;
import dev.tether.internal.wire.CredentialsField;
import dev.tether.internal.wire.Extensions;
import dev.tether.internal.wire.FrameType;
import dev.tether.internal.wire.GoAway;
import dev.tether.internal.wire.Handshake;
import dev.tether.internal.wire.Preamble;
import dev.tether.internal.wire.ProtocolException;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The handshake of PROTOCOL.md §2 and §4 for one connection: the client's preamble and HELLO, the
 * server's judgement and WELCOME, the client's check of the WELCOME, and the creation of the codec
 * both agreed on. Every refusal is a {@link ProtocolException} with the GOAWAY code and a reason
 * naming both sides' values; the connection sends it and closes. When an {@link AccessCheck} must
 * admit the peer, the handshake waits for its decision with reading held, so that nothing the peer
 * sends is handled before it is admitted.
 *
 * <p>Loop thread only.
 */
final class Handshaker {
  private static final Logger log = LoggerFactory.getLogger(Handshaker.class);

  private final RealConnection<?, ?> connection;
  private boolean preambleSent;
  private boolean awaitingAdmission;

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
    connection.outbound.appendPreamble(Preamble.bytes());
    connection.appendOwed(hello.encodeHello());
  }

  /**
   * The client's extensions: its credentials, if it has any, and its schema text, so that a server
   * with other message types can say which ids or names differ (PROTOCOL.md §5). Credentials come
   * first: the field drops what does not fit, and the schema text is only a courtesy.
   */
  private Extensions helloExtensions() {
    Extensions extensions = Extensions.NONE;
    Credentials credentials = connection.security.credentials();
    if (credentials != null) {
      extensions = extensions.with(Extensions.CREDENTIALS, CredentialsField.encode(credentials));
    }
    return extensions.with(
        Extensions.SCHEMA,
        connection.types.fingerprintText().getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /** Server: writes its preamble once, before its WELCOME or a refusal. */
  void sendServerPreamble() {
    if (!connection.client && !preambleSent) {
      preambleSent = true;
      connection.outbound.appendPreamble(Preamble.bytes());
    }
  }

  void onPreamble(byte[] preamble) throws ProtocolException {
    if (Preamble.matches(preamble)) {
      if (connection.io.plaintextOnTlsPort()) {
        // told in plaintext, which is what the client speaks (PROTOCOL.md §12 (x))
        throw new ProtocolException(
            GoAwayCode.PROTOCOL_ERROR,
            "this server accepts only TLS connections and client "
                + connection.peerName
                + " connected without TLS: configure the client with ClientBuilder.tls");
      }
      return;
    }
    String seen = Preamble.describe(preamble, preamble.length);
    if (connection.client) {
      throw new ProtocolException(
          GoAwayCode.PROTOCOL_ERROR,
          connection.peerName + " is not a Tether endpoint: it answered " + seen);
    }
    if (Preamble.isTlsHandshake(preamble)) {
      // answered with a preamble and GOAWAY, which the TLS client recognises (PROTOCOL.md §12 (x))
      throw new ProtocolException(
          GoAwayCode.PROTOCOL_ERROR,
          "client "
              + connection.peerName
              + " started a TLS handshake, but this server does not use TLS: connect without TLS,"
              + " or configure the server with ServerBuilder.tls");
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
    if (awaitingAdmission) {
      throw new ProtocolException(
          GoAwayCode.PROTOCOL_ERROR,
          FrameType.name(type) + " before the handshake completed (the peer was being authorized)");
    }
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
      Codec codec = createCodec(codecName, "client");
      return admitThen(
          welcome, null, codecName, () -> connection.opened(welcome, codecName, codec));
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
    Credentials credentials = credentials(hello);
    return admitThen(hello, credentials, codecName, () -> welcome(hello, codecName, codec));
  }

  /** Server: answers an admitted HELLO with the preamble and WELCOME, and opens. */
  private void welcome(Handshake hello, String codecName, Codec codec) {
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
    sendServerPreamble();
    connection.appendOwed(welcome.encodeWelcome());
    connection.opened(hello, codecName, codec);
  }

  /**
   * Runs {@code open} now if no authorizer must admit the peer, and returns true to read on;
   * otherwise holds reading, asks the {@link AccessCheck}, and runs {@code open} once the peer is
   * admitted (a refusal closes the connection).
   */
  private boolean admitThen(
      Handshake peer, Credentials credentials, String codecName, Runnable open)
      throws ProtocolException {
    if (!connection.access.decidesAdmission()) {
      open.run();
      return true;
    }
    AccessRequest request =
        new AccessRequest(
            connection.remoteAddress,
            connection.io.peerCertificates(),
            Optional.ofNullable(credentials),
            connection.io.tlsProtocol(),
            peer.nodeId(),
            peer.appProtocol(),
            peer.serverName(),
            codecName);
    awaitingAdmission = true;
    connection.io.hold();
    connection.access.decide(
        request,
        () -> {
          awaitingAdmission = false;
          open.run();
          connection.releaseReading();
        });
    return false; // the decoder keeps whatever followed, until the peer is admitted
  }

  /** The credentials a client sent in its HELLO, or null; ill-formed ones count as none. */
  private static Credentials credentials(Handshake hello) {
    byte[] field = Extensions.decode(hello.extensions()).get(Extensions.CREDENTIALS);
    return field == null ? null : CredentialsField.decode(field);
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
