package dev.tether.internal.engine;

import dev.tether.ConnectionClosedException;
import dev.tether.Credentials;
import dev.tether.GoAwayCode;
import dev.tether.ReconnectPolicy;
import dev.tether.internal.wire.Extensions;
import dev.tether.internal.wire.GoAway;
import dev.tether.internal.wire.Handshake;
import dev.tether.internal.wire.Preamble;
import dev.tether.internal.wire.ProtocolException;
import dev.tether.internal.wire.Resume;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection's session across sockets (PROTOCOL.md §13): its token, the message frames received
 * so far (which ACK frames tell the peer, so that it can drop them from its replay ring), and what
 * happens when the socket fails — the session is kept, detached, until the client comes back on a
 * new socket (the server adopts that socket) or reconnects (the client, through its {@link
 * Reconnector}); then both sides write again what the other had not received, and nothing is lost
 * or delivered twice.
 *
 * <p>Loop thread only, except where said.
 */
final class Resumption {
  private static final Logger log = LoggerFactory.getLogger(Resumption.class);

  /** ACK at once after this many unacknowledged message frames. */
  private static final int ACK_EVERY_FRAMES = 32;

  /** Otherwise ACK within this long of the first unacknowledged one. */
  private static final long ACK_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

  private final RealConnection<?, ?> c;
  private final ReconnectPolicy policy;
  private final SessionRegistry registry;
  private final Reconnector reconnector;

  private byte[] token;
  private boolean active;

  /** Server: the credentials the session's client presented when it started; null if none. */
  private Credentials startedWith;

  /** Message frames received in this session: DATA, REQUEST and RESPONSE. */
  private long received;

  private long ackedUrgently;

  /**
   * Client: the previous session ended with the server's graceful shutdown, everything confirmed;
   * the next WELCOME starts a new one without loss.
   */
  private boolean endedGracefully;

  /**
   * Server: a client has presented the session's token, resuming it: it has the token whatever
   * becomes of the WELCOMEs that carry it.
   */
  private boolean tokenPresented;

  /** Message frames this side had written when the current socket started. */
  private long sentAtSocketStart;

  private final DeadlineQueue.Timer ackTimer =
      new DeadlineQueue.Timer() {
        @Override
        void onTimer(long now) {
          if (active && c.state() == ConnectionState.OPEN) {
            c.outbound.offerAck(received, true);
            c.io().scheduleFlush();
          }
        }
      };

  private final DeadlineQueue.Timer expiry =
      new DeadlineQueue.Timer() {
        @Override
        void onTimer(long now) {
          if (c.state() == ConnectionState.DETACHED) {
            expire(
                "the client did not resume its session within "
                    + registry.timeout().toMillis()
                    + " ms");
          }
        }
      };

  /**
   * @param policy the client's reconnect policy, or null
   * @param registry the server's sessions, or null
   */
  Resumption(RealConnection<?, ?> connection, ReconnectPolicy policy, SessionRegistry registry) {
    this.c = connection;
    this.policy = policy;
    this.registry = registry;
    this.reconnector = policy == null ? null : new Reconnector(connection, policy);
  }

  boolean isActive() {
    return active;
  }

  long received() {
    return received;
  }

  Reconnector reconnector() {
    return reconnector;
  }

  // ------------------------------------------------------------------ handshake

  /** The client's RESUME entry for its HELLO, or null if it does not ask for resumption. */
  Resume helloRequest() {
    if (policy == null || !policy.resume()) {
      return null;
    }
    return token == null ? Resume.start() : new Resume(Resume.RESUME, token, received);
  }

  /** Starts counting and replaying: the session has a token both sides know. */
  void activate(byte[] sessionToken) {
    activate(sessionToken, null);
  }

  /**
   * As {@link #activate(byte[])}, on a server whose client started the session presenting {@code
   * credentials} (null if none): only a client presenting the same may resume it.
   */
  void activate(byte[] sessionToken, Credentials credentials) {
    startedWith = credentials;
    token = sessionToken;
    active = true;
    received = 0;
    ackedUrgently = 0;
    c.outbound.enableReplay();
  }

  byte[] token() {
    return token;
  }

  /**
   * Client: judges the WELCOME of the first socket, or of a resuming one. Returns true if the
   * session resumed (what the server had not received is queued again); false if this is the first
   * socket, or if the session was lost (and a new one may have begun). {@code before} is how the
   * session made its frames until this WELCOME; null on the first socket.
   */
  boolean onWelcome(Handshake welcome, Encoding before) throws ProtocolException {
    boolean resuming = before != null;
    byte[] value =
        welcome.minorVersion() >= 2
            ? Extensions.decode(welcome.extensions()).get(Extensions.RESUME)
            : null;
    Resume granted = value == null ? null : Resume.decode(value, true);
    if (resuming && endedGracefully && (granted == null || granted.kind() != Resume.RESUMED)) {
      endedGracefully = false;
      newSessionAfterShutdown(granted, before);
      return false;
    }
    endedGracefully = false;
    if (!resuming) {
      if (granted != null
          && granted.kind() == Resume.STARTED
          && policy != null
          && policy.resume()) {
        activate(granted.token());
      }
      return false;
    }
    if (granted != null && granted.kind() == Resume.RESUMED) {
      // a server that says "resumed" must mean the session asked for, as it was: going on with
      // anything else would deliver another session's frames here, and lose or repeat this one's
      if (!active || !java.util.Arrays.equals(granted.token(), token)) {
        throw new ProtocolException(
            GoAwayCode.PROTOCOL_ERROR,
            "the server resumed another session than the one this side asked to resume");
      }
      if (!welcome.codecs().get(0).equals(c.codec().name())) {
        throw new ProtocolException(
            GoAwayCode.PROTOCOL_ERROR,
            "the server resumed the session with codec "
                + welcome.codecs().get(0)
                + ", and it was started with "
                + c.codec().name());
      }
      if (!c.outbound.rewind(granted.received())) {
        throw new ProtocolException(
            GoAwayCode.PROTOCOL_ERROR,
            "the server says it received "
                + Long.toUnsignedString(granted.received())
                + " messages of this session, which this side cannot replay from");
      }
      c.outbound.offerAck(received, false);
      return true;
    }
    String why =
        granted == null
            ? "the server does not resume sessions"
            : "the server no longer had the session (it expired, or the server restarted)";
    sessionLost(why);
    if (granted != null && policy.resume()) {
      activate(granted.token());
    }
    return false;
  }

  /**
   * Client: the server that shut down gracefully is back (or another in its place): a new session
   * begins, and what was sent meanwhile, queued for this socket, is written on it. Nothing was
   * lost, but the server has none of the old session's state, so the listener hears {@code
   * onSessionLost} with a count of 0 — unless what was queued was made in a way this server cannot
   * read (another codec, or frames over its limit): then it is dropped and counted.
   */
  private void newSessionAfterShutdown(Resume granted, Encoding before) {
    String unfit = unfitForQueued(before, c.outbound.encoding());
    long dropped = unfit == null ? 0 : c.outbound.dropSession();
    if (dropped == 0) {
      unfit = null; // nothing was queued: nothing to say about it
    }
    if (granted != null && granted.kind() == Resume.STARTED && policy.resume()) {
      activate(granted.token());
    }
    String ended =
        "session with "
            + c.peerName
            + " ended when the server shut down gracefully, every message written before"
            + " confirmed; a new session has begun";
    ConnectionClosedException cause =
        new ConnectionClosedException(
            GoAwayCode.SHUTTING_DOWN,
            GoAwayCode.SHUTTING_DOWN.code(),
            unfit == null
                ? ended
                : ended
                    + ", but the server now there "
                    + unfit
                    + ", so the "
                    + dropped
                    + " messages sent meanwhile were dropped",
            true,
            null);
    if (unfit == null) {
      log.info("{}", cause.reason());
    } else {
      log.warn("{}", cause.reason());
      c.requests.failAll(cause); // those sent meanwhile, or asked again: all dropped with them
    }
    c.mailbox.offerEvent(SessionEvent.lost(dropped, cause));
  }

  /**
   * Says why the frames queued while made with {@code before} cannot go to a server whose session
   * makes them with {@code now}; null if they can.
   */
  private String unfitForQueued(Encoding before, Encoding now) {
    if (!now.codec().name().equals(before.codec().name())) {
      return "chose codec "
          + now.codec().name()
          + " and they were encoded with "
          + before.codec().name();
    }
    int largest = c.outbound.largestQueuedFrame();
    if (largest > now.peerMaxFrameBytes()) {
      return "accepts frames of at most "
          + now.peerMaxFrameBytes()
          + " bytes and one of them was "
          + largest;
    }
    return null;
  }

  /** A socket completed its handshake: messages written from here on are on it. */
  void socketOpened() {
    sentAtSocketStart = c.outbound.sentSeq();
  }

  /**
   * Client: the session is gone; what was sent and not acknowledged, and what was never written, is
   * dropped and counted, and requests outstanding fail.
   */
  private void sessionLost(String why) {
    long unacknowledged =
        active ? c.outbound.unacknowledged() : c.outbound.sentSeq() - sentAtSocketStart;
    long dropped = c.outbound.dropSession();
    long maybeLost = unacknowledged + dropped;
    ConnectionClosedException cause =
        new ConnectionClosedException(
            GoAwayCode.UNKNOWN,
            -1,
            "session with "
                + c.peerName
                + " lost: "
                + why
                + "; "
                + maybeLost
                + " accepted messages may not have reached it",
            true,
            null);
    log.warn("{}", cause.reason());
    c.requests.failAll(cause);
    forget();
    c.mailbox.offerEvent(SessionEvent.lost(maybeLost, cause));
  }

  /** The session is over: no token, nothing counted, nothing replayed until one is activated. */
  private void forget() {
    active = false;
    token = null;
    received = 0;
    ackedUrgently = 0;
  }

  // ------------------------------------------------------------------ acknowledgements

  /** Counts a received message frame. */
  void receivedMessage() {
    received++;
  }

  /** After a batch of reads: ACK at once past a few frames, else soon. */
  void afterReads() {
    if (!active || received == 0) {
      return;
    }
    if (received - ackedUrgently >= ACK_EVERY_FRAMES) {
      ackedUrgently = received;
      c.outbound.offerAck(received, true);
      c.io().scheduleFlush();
      c.loop.cancel(ackTimer);
    } else {
      c.outbound.offerAck(received, false); // rides with the next frame written anyway
      if (!ackTimer.isScheduled()) {
        c.loop.schedule(ackTimer, System.nanoTime() + ACK_DELAY_NANOS);
      }
    }
  }

  /**
   * The peer's ACK: it has received {@code seq} of our message frames. Outside a resumable session
   * ACK is not part of the conversation, so it is what PROTOCOL.md §3 says of an ancillary type the
   * receiver does not know: skipped, whatever its body (a peer that implements only the shared
   * protocol may use 0x40 for an extension of its own).
   */
  void onAck(ByteBuffer body) throws ProtocolException {
    if (!active) {
      return;
    }
    if (body.remaining() != 8) {
      throw new ProtocolException(
          GoAwayCode.PROTOCOL_ERROR, "ACK body must be 8 bytes, was " + body.remaining());
    }
    long seq = body.getLong();
    try {
      if (c.outbound.acknowledge(seq)) {
        c.onWritable();
      }
    } catch (IllegalArgumentException e) {
      throw new ProtocolException(GoAwayCode.PROTOCOL_ERROR, e.getMessage());
    }
  }

  // ------------------------------------------------------------------ losing and regaining a
  // socket

  /**
   * The socket failed (end of stream without GOAWAY, an I/O error, silence): keeps the session if
   * it can be resumed or the client reconnects. Returns false if the connection must close.
   */
  boolean onSocketLost(String why, Throwable failure) {
    ConnectionState state = c.state();
    if (state == ConnectionState.DETACHED) {
      return true; // news from the socket already left behind
    }
    if (state == ConnectionState.RESUMING) {
      c.io().close();
      c.moveTo(ConnectionState.DETACHED);
      reconnector.attemptFailed(why, true);
      return true;
    }
    boolean keep = state == ConnectionState.OPEN && (active || reconnector != null);
    if (!keep) {
      return false;
    }
    if (reconnector == null && !tokenPresented && !c.outbound.preludeWritten()) {
      // the WELCOME carries the session's token, and it never left: no client can resume this
      // session, and keeping it would hold a share of the detached sessions' budget for nothing
      log.debug("connection with {} lost ({}) before its WELCOME was written", c.peerName, why);
      return false;
    }
    c.outbound.socketOpen(false);
    c.io().close();
    c.moveTo(ConnectionState.DETACHED);
    c.keepAlive.stop();
    c.loop.cancel(ackTimer);
    ConnectionClosedException cause =
        new ConnectionClosedException(GoAwayCode.UNKNOWN, -1, why, true, failure);
    if (reconnector != null) {
      log.info("connection with {} lost ({}); reconnecting", c.peerName, why);
      c.mailbox.offerEvent(SessionEvent.disconnected(cause));
      reconnector.onDisconnected();
    } else {
      log.info(
          "connection with {} lost ({}); keeping its session for {} ms",
          c.peerName,
          why,
          registry.timeout().toMillis());
      c.loop.schedule(expiry, System.nanoTime() + Deadlines.nanos(registry.timeout()));
      registry.onDetached(c);
    }
    return true;
  }

  /**
   * Client: the close that the server's GOAWAY(SHUTTING_DOWN) began has ended gracefully; the
   * session is over (the server keeps none across a graceful shutdown), and the connection
   * reconnects for a new one, queueing sends meanwhile. Loop thread.
   */
  void serverShutDown(ConnectionClosedException cause) {
    forget();
    endedGracefully = true;
    c.loop.cancel(ackTimer);
    c.moveTo(ConnectionState.DETACHED);
    log.info("{} shut down gracefully ({}); reconnecting", c.peerName, cause.reason());
    c.mailbox.offerEvent(SessionEvent.disconnected(cause));
    reconnector.onDisconnected();
  }

  /** The client's next socket connected (or is connecting): sends the resuming HELLO once up. */
  void startSocket(SocketChannel channel, boolean connected) throws IOException {
    c.moveTo(ConnectionState.RESUMING);
    c.attachSocket(new SocketIo(c, channel, true), !connected, false);
  }

  /**
   * A send queued frames: on a server session that waits for its client they count against the
   * detached sessions' budget at once ({@link SessionRegistry#onQueued}). Any thread.
   */
  void queued() {
    if (registry != null && c.state() == ConnectionState.DETACHED) {
      registry.onQueued(c);
    }
  }

  /** A server session's detached wait ends: it closes, saying why. */
  void expire(String why) {
    if (c.state() == ConnectionState.DETACHED) {
      c.closer.abandon(why);
    }
  }

  /**
   * Server: the client came back on the socket {@code previous} asking to resume, having received
   * {@code ask.received()} message frames; this session takes the socket (and its TLS) over from
   * the connection that read the HELLO, which admitted the client again ({@code grant}; null
   * without an authorizer). That HELLO announced {@code nodeId} and presented {@code credentials}
   * (null if none).
   */
  void adopt(
      SocketIo previous,
      Resume ask,
      String welcomeCodec,
      AccessCheck.Grant grant,
      long nodeId,
      Credentials credentials) {
    SocketChannel channel = previous.channel;
    ConnectionState state = c.state();
    // who asks first: a client that may not have the session must not cut its socket either
    if (!sameCertificate(previous.peerCertificates())) {
      refuse(
          previous,
          GoAwayCode.UNAUTHORIZED,
          "cannot resume: the session was started with another client certificate");
      return;
    }
    String otherPeer = otherPeer(nodeId, credentials);
    if (otherPeer != null) {
      refuse(
          previous, GoAwayCode.UNAUTHORIZED, "cannot resume: the session was started " + otherPeer);
      return;
    }
    if (state == ConnectionState.OPEN) {
      // no sender writes straight to a socket from here until the new one has its prelude queued:
      // a frame would go to the new socket ahead of the preamble and WELCOME
      c.outbound.socketOpen(false);
      c.io().close(); // the old socket is half-open: the client has moved on
      c.keepAlive.stop();
      c.moveTo(ConnectionState.DETACHED);
    }
    if (c.state() != ConnectionState.DETACHED) {
      refuse(previous, GoAwayCode.INTERNAL_ERROR, "the session is closing; connect again");
      return;
    }
    if (!c.outbound.rewind(ask.received())) {
      refuse(
          previous,
          GoAwayCode.PROTOCOL_ERROR,
          "cannot resume: the client says it received "
              + Long.toUnsignedString(ask.received())
              + " messages, which this side cannot replay from");
      c.closer.abandon("the client asked to resume from a position this side cannot serve");
      return;
    }
    c.loop.cancel(expiry);
    tokenPresented = true;
    registry.onAttached(c);
    byte[] welcome =
        c.handshaker.welcome(welcomeCodec, new Resume(Resume.RESUMED, token, received).encode());
    try {
      c.attachSocket(new SocketIo(c, previous), false, true);
    } catch (IOException e) {
      log.info("could not take over the resumed socket of {}: {}", c.peerName, e.toString());
      Channels.closeQuietly(channel);
      c.moveTo(ConnectionState.DETACHED);
      c.loop.schedule(expiry, System.nanoTime() + Deadlines.nanos(registry.timeout()));
      registry.onDetached(c);
      return;
    }
    c.outbound.startSocket(Handshaker.concat(Preamble.bytes(), welcome));
    c.moveTo(ConnectionState.OPEN);
    c.outbound.socketOpen(true);
    c.keepAlive.resumed();
    c.access.resumed(grant, c.io().peerCertificates());
    c.outbound.offerAck(received, false);
    c.io().flush();
    c.resumeReading(); // what the client wrote behind its HELLO, if anything
    log.info("resumed the session with {}", c.peerName);
  }

  /**
   * Returns true unless the session's client presented a certificate and the resuming socket's
   * client presents another (or none): a session token alone does not move a session to another
   * identity.
   */
  private boolean sameCertificate(List<X509Certificate> resuming) {
    List<X509Certificate> original = c.peer() == null ? List.of() : c.peer().certificates();
    return original.isEmpty() || !resuming.isEmpty() && original.get(0).equals(resuming.get(0));
  }

  /**
   * Returns how the session's client differs from one that announces {@code nodeId} and presents
   * {@code credentials}, or null if it does not: as with certificates, a token alone does not move
   * a session to another node or another holder of credentials.
   */
  private String otherPeer(long nodeId, Credentials credentials) {
    long startedBy = c.peer() == null ? 0 : c.peer().nodeId();
    if (nodeId != startedBy) {
      return "by node " + startedBy + ", and this client announces node " + nodeId;
    }
    if (!Objects.equals(credentials, startedWith)) {
      return startedWith == null
          ? "without credentials, and this client presents some"
          : "with other credentials than this client presents";
    }
    return null;
  }

  /** Tells a socket that cannot be adopted why, as a server does (preamble, GOAWAY), and closes. */
  private static void refuse(SocketIo previous, GoAwayCode code, String reason) {
    // the key the HELLO came in on goes with the channel when it closes
    previous.refuseAndClose(Handshaker.concat(Preamble.bytes(), GoAway.encodeFrame(code, reason)));
  }

  /** The session ends: forget it. */
  void closed() {
    c.loop.cancel(ackTimer);
    c.loop.cancel(expiry);
    if (registry != null) {
      registry.remove(c, token);
    }
    if (reconnector != null) {
      reconnector.stop();
    }
  }
}
