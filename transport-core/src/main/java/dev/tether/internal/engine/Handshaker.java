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
import dev.tether.internal.wire.Resume;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The handshake of PROTOCOL.md §2 and §5 for one socket: the client's preamble and HELLO, the
 * server's judgement and WELCOME, the client's check of the WELCOME, the creation of the codec both
 * agreed on — and, for resumable sessions (§13), the RESUME entries that start, resume or report
 * lost a session, and the hand-over of a resuming socket to the session it belongs to. Every
 * refusal is a {@link ProtocolException} with the GOAWAY code and a reason naming both sides'
 * values; the connection sends it and closes. When an {@link AccessCheck} must admit the peer, the
 * handshake waits for its decision with reading held, so that nothing the peer sends is handled
 * before it is admitted.
 *
 * <p>Loop thread only.
 */
final class Handshaker {
  private static final Logger log = LoggerFactory.getLogger(Handshaker.class);

  /** The minor version of a side that resumes sessions; 0 otherwise. */
  static final int RESUMING_MINOR_VERSION = 2;

  private final RealConnection<?, ?> connection;
  private boolean preambleSent;
  private boolean awaitingAdmission;

  Handshaker(RealConnection<?, ?> connection) {
    this.connection = connection;
  }

  /** Client: writes the preamble and HELLO together, without waiting for the server. */
  void sendHello() {
    var config = connection.config;
    Resume resume = connection.resumption.helloRequest();
    // credentials first: the field drops what does not fit, and the schema text is a courtesy
    Extensions extensions = Extensions.NONE;
    Credentials credentials = connection.security.credentials();
    if (credentials != null) {
      extensions = extensions.with(Extensions.CREDENTIALS, CredentialsField.encode(credentials));
    }
    extensions =
        extensions.with(
            Extensions.SCHEMA, connection.types.fingerprintText().getBytes(StandardCharsets.UTF_8));
    if (resume != null) {
      extensions = extensions.with(Extensions.RESUME, resume.encode());
    }
    Handshake hello =
        new Handshake(
            resume != null ? RESUMING_MINOR_VERSION : Handshake.MINOR_VERSION,
            config.nodeId(),
            connection.types.appProtocol(),
            connection.types.fingerprint(),
            connection.codecNames,
            connection.serverName,
            config.maxFrameBytes(),
            config.heartbeatInterval().toMillis(),
            config.idleTimeout().toMillis(),
            extensions.encode());
    connection.outbound.startSocket(concat(Preamble.bytes(), hello.encodeHello()));
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] both = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    return both;
  }

  /** Server: writes its preamble once, before a refusal. */
  void sendServerPreamble() {
    if (!connection.client && !preambleSent) {
      preambleSent = true;
      connection.outbound.startSocket(Preamble.bytes());
    }
  }

  /** Server: encodes a WELCOME frame choosing {@code codec}, with a RESUME entry if given. */
  byte[] welcome(String codec, byte[] resume) {
    var config = connection.config;
    Extensions extensions =
        resume == null ? Extensions.NONE : Extensions.NONE.with(Extensions.RESUME, resume);
    return new Handshake(
            resume == null ? Handshake.MINOR_VERSION : RESUMING_MINOR_VERSION,
            config.nodeId(),
            connection.types.appProtocol(),
            connection.types.fingerprint(),
            List.of(codec),
            connection.serverName,
            config.maxFrameBytes(),
            config.heartbeatInterval().toMillis(),
            config.idleTimeout().toMillis(),
            extensions.encode())
        .encodeWelcome();
  }

  void onPreamble(byte[] preamble) throws ProtocolException {
    if (Preamble.matches(preamble)) {
      if (connection.io().plaintextOnTlsPort()) {
        // told in plaintext, which is what the client speaks (PROTOCOL.md §12 (y))
        throw new ProtocolException(
            GoAwayCode.PROTOCOL_ERROR,
            "this server accepts only TLS connections and client "
                + connection.peerName
                + " connected without TLS: configure the client with ClientBuilder.tls");
      }
      return;
    }
    String seen = Preamble.describe(preamble, preamble.length);
    if (connection.client && Preamble.isOtherVersion(preamble)) {
      // a Tether server after all, of a version this client does not speak (PROTOCOL.md §12 (jj))
      throw new ProtocolException(
          GoAwayCode.UNSUPPORTED_VERSION,
          connection.peerName
              + " speaks Tether protocol major version "
              + (preamble[7] & 0xFF)
              + "; this client speaks version 1");
    }
    if (connection.client) {
      throw new ProtocolException(
          GoAwayCode.PROTOCOL_ERROR,
          connection.peerName + " is not a Tether endpoint: it answered " + seen);
    }
    if (Preamble.isTlsHandshake(preamble)) {
      // answered with a preamble and GOAWAY, which the TLS client recognises (PROTOCOL.md §12 (y))
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
    preambleSent = true; // PROTOCOL.md §3: a server closes without writing a byte
    throw new ProtocolException(GoAwayCode.PROTOCOL_ERROR, why, true);
  }

  /** Routes a frame that arrived before the handshake completed; returns true to read on. */
  boolean onFrame(int type, ByteBuffer body) throws ProtocolException {
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
    return connection.client ? onWelcome(type, body) : onHello(type, body);
  }

  private boolean onWelcome(int type, ByteBuffer body) throws ProtocolException {
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
    if (connection.state() == ConnectionState.RESUMING) {
      connection.reopened(welcome, codecName, codec); // the server was admitted on the first
      return true;
    }
    return admitThen(
        welcome,
        null,
        codecName,
        () -> {
          connection.resumption.onWelcome(welcome, null);
          connection.opened(welcome, codecName, codec);
          return true;
        });
  }

  private boolean onHello(int type, ByteBuffer body) throws ProtocolException {
    if (type != FrameType.HELLO) {
      throw new ProtocolException(
          GoAwayCode.PROTOCOL_ERROR,
          "expected HELLO as the client's first frame, got " + FrameType.name(type));
    }
    Handshake hello = Handshake.decodeHello(body);
    String codecName =
        HandshakeJudge.judgeHello(
            hello, connection.types, connection.codecNames, connection.serverName);
    Resume ask = resumeRequest(hello);
    SessionRegistry sessions = connection.listener.sessions();
    Credentials credentials = credentials(hello);
    if (ask != null && ask.kind() == Resume.RESUME) {
      RealConnection<?, ?> session = sessions.find(ask.token());
      if (session != null && hello.codecs().contains(session.codecName())) {
        String codec = session.codecName();
        admitThen(
            hello,
            credentials,
            codec,
            () -> {
              handOver(session, ask, hello.nodeId(), credentials);
              return false;
            });
        return false;
      }
    }
    String overload = connection.listener.admissionRefusal(connection);
    if (overload != null) {
      throw new ProtocolException(GoAwayCode.INTERNAL_ERROR, overload);
    }
    Codec codec = createCodec(codecName, "server");
    return admitThen(
        hello,
        credentials,
        codecName,
        () -> {
          welcomeAndOpen(hello, ask, codecName, codec, credentials);
          return true;
        });
  }

  /** Server: answers an admitted HELLO with the preamble and WELCOME, and opens. */
  private void welcomeAndOpen(
      Handshake hello, Resume ask, String codecName, Codec codec, Credentials credentials) {
    SessionRegistry sessions = connection.listener.sessions();
    byte[] resume = null;
    if (ask != null) {
      byte[] token = sessions.register(connection);
      connection.resumption.activate(token, credentials);
      int kind = ask.kind() == Resume.START ? Resume.STARTED : Resume.LOST;
      resume = new Resume(kind, token, 0).encode();
    }
    preambleSent = true;
    connection.outbound.startSocket(concat(Preamble.bytes(), welcome(codecName, resume)));
    connection.opened(hello, codecName, codec);
  }

  /**
   * Runs {@code open} now if no authorizer must admit the peer, and returns what it returns (true
   * to read on); otherwise holds reading, asks the {@link AccessCheck}, and runs {@code open} once
   * the peer is admitted (a refusal closes the connection), then lets reading go on if it said so.
   */
  private boolean admitThen(
      Handshake peer, Credentials credentials, String codecName, Admitted open)
      throws ProtocolException {
    if (!connection.access.decidesAdmission()) {
      return open.open();
    }
    AccessRequest request =
        new AccessRequest(
            connection.remoteAddress,
            connection.io().peerCertificates(),
            Optional.ofNullable(credentials),
            connection.io().tlsProtocol(),
            peer.nodeId(),
            peer.appProtocol(),
            peer.serverName(),
            codecName);
    awaitingAdmission = true;
    connection.io().holdReading();
    connection.access.decide(
        request,
        () -> {
          awaitingAdmission = false;
          try {
            if (open.open()) {
              connection.releaseReading();
            }
          } catch (ProtocolException e) {
            connection.closer.onProtocolError(e);
          }
        });
    return false; // the decoder keeps whatever followed, until the peer is admitted
  }

  /** What the handshake does once the peer is admitted; returns true to read on. */
  @FunctionalInterface
  private interface Admitted {
    boolean open() throws ProtocolException;
  }

  /** The credentials a client sent in its HELLO, or null; ill-formed ones count as none. */
  private static Credentials credentials(Handshake hello) {
    byte[] field = Extensions.decode(hello.extensions()).get(Extensions.CREDENTIALS);
    return field == null ? null : CredentialsField.decode(field);
  }

  /** Returns the client's RESUME entry if it asks for resumption and this server offers it. */
  private Resume resumeRequest(Handshake hello) throws ProtocolException {
    if (hello.minorVersion() < RESUMING_MINOR_VERSION || connection.listener.sessions() == null) {
      return null;
    }
    byte[] value = Extensions.decode(hello.extensions()).get(Extensions.RESUME);
    return value == null ? null : Resume.decode(value, false);
  }

  /**
   * The client resumes an existing session: this connection, which only read the HELLO, gives its
   * socket to that session (on the session's loop) and is gone. The client sends nothing after its
   * HELLO until the WELCOME, so nothing is left unread here.
   */
  private void handOver(
      RealConnection<?, ?> session, Resume ask, long nodeId, Credentials credentials) {
    String codec = session.codecName();
    AccessCheck.Grant grant = connection.access.grant();
    SocketIo socket = connection.retire();
    session.loop.execute(
        () -> session.resumption.adopt(socket, ask, codec, grant, nodeId, credentials));
  }

  /** Creates the agreed codec; a codec that cannot start is refused at once, saying why. */
  private Codec createCodec(String name, String side) throws ProtocolException {
    try {
      return CodecRegistry.codec(name, connection.types, connection.config.codecLimits());
    } catch (Throwable t) {
      log.error("codec {} failed to initialise on this {}", name, side, Throwables.loggable(t));
      throw new ProtocolException(
          GoAwayCode.INTERNAL_ERROR,
          "codec " + name + " failed to initialise on the " + side + ": " + Throwables.text(t));
    }
  }
}
