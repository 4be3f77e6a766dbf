package dev.tether.internal.engine;

import dev.tether.ConnectionClosedException;
import dev.tether.GoAwayCode;
import dev.tether.HandshakeException;
import dev.tether.TetherException;
import dev.tether.internal.wire.GoAway;
import dev.tether.internal.wire.ProtocolException;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a connection ends: the graceful close of PROTOCOL.md §9 started by either side (the handler
 * finishes what was received, the GOAWAY follows only then, the output is half-closed, the peer is
 * drained), the closes that are not graceful (protocol error, idle timeout, failing handler, lost
 * socket, drain deadline), and the one place where every path ends, {@link #closeNow}, which says
 * in the close reason what was not delivered.
 *
 * <p>Loop thread only, except {@link #closeAsync}, {@link #close} and {@link #shutdown}.
 */
final class Closer implements OutboundBuffer.Owner {
  private static final Logger log = LoggerFactory.getLogger(Closer.class);
  private static final VarHandle CLOSE_CALLED;

  static {
    try {
      CLOSE_CALLED =
          MethodHandles.lookup().findVarHandle(Closer.class, "closeCalled", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final RealConnection<?, ?> c;

  /** Set once the application's close was called; a field rather than an AtomicBoolean. */
  private volatile boolean closeCalled;

  private final CompletableFuture<ConnectionClosedException> closeFuture =
      new CompletableFuture<>();
  private volatile ConnectionClosedException closeCause;
  private volatile boolean sendsRefused;
  private volatile boolean peerGoAway;

  // loop-only facts of the close
  private GoAwayCode goAwayCode = GoAwayCode.NORMAL;
  private String goAwayReason = "";
  private boolean eof;

  /**
   * The peer's GOAWAY came before ours: this side went on writing after it, so over TLS the peer's
   * close_notify is read before the socket closes ({@link SocketIo#readToEndOfStream}). Answering
   * our GOAWAY, the peer has read everything, and a reset costs it nothing but its close_notify.
   */
  private boolean peerClosedFirst;

  private boolean cutReached;
  private boolean failed;

  /** This side closed during the handshake: the socket closes once the GOAWAY is written. */
  private boolean closeOnceTold;

  /** The application closed a client between sockets that held nothing to deliver. */
  private boolean closedWithNothingToDeliver;

  /**
   * True once a reconnecting client read its server's GOAWAY(SHUTTING_DOWN) while open: when the
   * close exchange ends gracefully, the connection starts a new session instead of closing.
   */
  private volatile boolean reconnectAfterClose;

  /**
   * The close that ended in a new session ({@link #startNewSession}), until the next socket opens:
   * what a send that raced with the restart is told, {@link #closeCause} being cleared by then.
   */
  private volatile ConnectionClosedException restartedAfter;

  /** True while a close asked for between a reconnecting client's sockets waits for the next. */
  private boolean closeWhenReopened;

  private final ReopenWait reopenWait = new ReopenWait();

  Closer(RealConnection<?, ?> connection) {
    this.c = connection;
  }

  /** The peer refused the handshake with GOAWAY. */
  void refusedByPeer(HandshakeException cause) {
    if (c.state() == ConnectionState.RESUMING) {
      c.io().close();
      c.moveTo(ConnectionState.DETACHED);
      c.resumption.reconnector().attemptFailed(cause.getMessage(), Reconnector.healable(cause));
      return;
    }
    peerGoAway = true;
    c.reportHandshakeFailure(cause);
    closeNow(cause);
  }

  /**
   * Closes a session that has no socket (it expired, reconnecting gave up, the application closed
   * it meanwhile): nothing can be written any more, and the reason says what was not.
   */
  void abandon(String why) {
    if (c.state() == ConnectionState.CLOSED) {
      return;
    }
    failed = true;
    long unacknowledged = c.outbound.unacknowledged();
    String detail =
        unacknowledged > 0
            ? why + "; " + unacknowledged + " messages written were not acknowledged"
            : why;
    closeNow(
        closeCause != null
            ? amended(closeCause, detail)
            : new ConnectionClosedException(GoAwayCode.UNKNOWN, -1, detail, false, null));
  }

  /**
   * Returns true while a reconnecting client answers its server's graceful shutdown, or has just
   * answered it, to reconnect once the exchange is over rather than close.
   */
  boolean reopensAfterClose() {
    return reconnectAfterClose || restartedAfter != null;
  }

  /** Returns true once the application has closed: its sends are refused from then on. */
  boolean sendsRefused() {
    return sendsRefused;
  }

  CompletionStage<ConnectionClosedException> onClose() {
    return CloseStage.of(closeFuture, c);
  }

  CompletionStage<ConnectionClosedException> closeAsync() {
    startClose();
    return onClose();
  }

  /** Starts the application's close; returns true if this call started it. */
  private boolean startClose() {
    if (!CLOSE_CALLED.compareAndSet(this, false, true)) {
      return false;
    }
    refuseSendsAndClose(GoAwayCode.NORMAL, "closed by the application");
    return true;
  }

  void close() {
    boolean wasOpen = c.state().isSessionOpen();
    boolean started = startClose() && wasOpen;
    if (EventLoop.cannotAwaitClose(c)) {
      return; // the close completes after this handler returns; waiting here would deadlock
    }
    EventLoop.beforeWaiting();
    ConnectionClosedException cause;
    try {
      cause =
          closeFuture.get(Deadlines.millis(c.config.drainTimeout()) + 1000, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      // the close stage completes once the handlers have returned: one of them has not
      ConnectionClosedException known = closeCause;
      if (!started || (known != null && known.isGraceful())) {
        return;
      }
      String reason =
          known != null
              ? known.reason() + "; a handler of this connection has still not returned"
              : "closed by the application; the close did not finish within the drain deadline of "
                  + Deadlines.millis(c.config.drainTimeout())
                  + " ms: a handler of this connection has not returned, so what it had received"
                  + " is not all handled";
      throw new ConnectionClosedException(
          known != null ? known.code() : GoAwayCode.NORMAL,
          known != null ? known.rawCode() : GoAwayCode.NORMAL.code(),
          reason,
          false,
          null,
          known != null ? known.messagesNotSent() : 0,
          false);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("the close future never fails", e);
    }
    if (started && !cause.isGraceful()) {
      throw cause;
    }
  }

  /**
   * Starts a graceful close by this side whose GOAWAY carries {@code code} and {@code reason}, as
   * {@link #closeAsync()} does with NORMAL: sends from the application are refused from now on. Any
   * thread; idempotent once a close has begun.
   */
  void closeWith(GoAwayCode code, String reason) {
    refuseSendsAndClose(code, reason);
  }

  /** Closes for a server that is shutting down. Any thread. */
  void shutdown() {
    refuseSendsAndClose(GoAwayCode.SHUTTING_DOWN, "the server is shutting down");
  }

  /** Refuses the application's sends from now on, and begins the close on the loop. Any thread. */
  private void refuseSendsAndClose(GoAwayCode code, String reason) {
    sendsRefused = true;
    c.loop.execute(() -> beginClose(code, reason));
    c.writableAgain(); // no longer open: a stage waiting to be writable fails, after beginClose
  }

  /**
   * Begins a graceful close by this side: the handler finishes what was received before it, then
   * this side writes its GOAWAY (PROTOCOL.md §8).
   */
  void beginClose(GoAwayCode code, String reason) {
    switch (c.state()) {
      case CONNECTING -> {
        ConnectionClosedException cause = new ConnectionClosedException(code, reason, false);
        c.reportHandshakeFailure(
            new TetherException("connection closed while connecting: " + reason));
        closeNow(cause);
      }
      case HANDSHAKING -> {
        closeCause = new ConnectionClosedException(code, reason, false);
        c.reportHandshakeFailure(new HandshakeException(code, reason, false));
        // a peer that has not finished its HELLO has nothing to deliver: once it has been told, it
        // is let go, rather than holding up (a server's) close until the drain deadline
        closeOnceTold = true;
        sendGoAway(code, reason);
        // nothing the peer sent is handled now, and reading may be held for an authorizer: read
        // on, dropping it, to see the peer's answer instead of waiting out the drain deadline
        c.io().discardInput();
      }
      case OPEN -> {
        closeCause = new ConnectionClosedException(code, reason, false);
        goAwayCode = code;
        goAwayReason = reason;
        c.moveTo(ConnectionState.CLOSING);
        c.keepAlive.startDrain();
        c.mailbox.offerEvent(Mailbox.Event.LOCAL_CUT);
      }
      case DETACHED, RESUMING -> {
        closeCause = new ConnectionClosedException(code, reason, false);
        Reconnector reconnector = c.resumption.reconnector();
        if (reconnector == null || !reconnector.isTrying()) {
          abandon("closed while the session had no socket");
        } else if (nothingToDeliver()) {
          // nothing the application handed over waits on the server: waiting for it to come back
          // (it may never) would only hold the close up for the drain deadline, and then fail it
          closedWithNothingToDeliver = true;
          closeNow(
              amended(
                  closeCause,
                  "closed while the session had no socket, with nothing queued, unacknowledged,"
                      + " awaiting an answer or received and not yet handled"));
        } else if (!closeWhenReopened) {
          // a client between sockets: what send accepted is queued for the next one, so the close
          // waits, within the drain deadline, for the session to come back, and then goes on as
          // from OPEN (PROTOCOL.md §13) with the code and reason of closeCause
          closeWhenReopened = true;
          c.loop.schedule(reopenWait, c.keepAlive.startDrain());
          reconnector.attemptNow();
        }
      }
      default -> {
        // closing already
      }
    }
  }

  /**
   * Returns true if a client between sockets holds nothing for its server or its handlers: no
   * message queued or written and unacknowledged, no request awaiting its response, no received
   * message waiting for a handler or {@code receive}.
   */
  private boolean nothingToDeliver() {
    return c.outbound.queuedMessages() == 0
        && c.outbound.unacknowledged() == 0
        && c.requests.size() == 0
        && c.mailbox.isIdle();
  }

  /** A client's session has a socket again: a close asked for meanwhile goes on from here. */
  void onReopened() {
    restartedAfter = null;
    if (closeWhenReopened) {
      closeWhenReopened = false;
      c.loop.cancel(reopenWait);
      beginClose(closeCause.code(), closeCause.reason());
    }
  }

  /** Ends a close that waited for the session to come back, once the drain deadline has passed. */
  private final class ReopenWait extends DeadlineQueue.Timer {
    @Override
    void onTimer(long now) {
      ConnectionState state = c.state();
      if (closeWhenReopened
          && (state == ConnectionState.DETACHED || state == ConnectionState.RESUMING)) {
        closeWhenReopened = false;
        abandon(
            "closed while the session had no socket, which did not come back within the drain"
                + " deadline of "
                + Deadlines.millis(c.config.drainTimeout())
                + " ms");
      }
    }
  }

  /** The peer's GOAWAY: deliver what preceded it, answer with ours, then close. */
  void onPeerGoAway(GoAway goAway) {
    peerGoAway = true;
    peerClosedFirst = c.state() != ConnectionState.GOAWAY_SENT;
    c.io().stopReading();
    ConnectionClosedException cause =
        new ConnectionClosedException(
            goAway.knownCode(), goAway.code(), goAway.reason(), true, null);
    if (closeCause == null) {
      closeCause = cause;
    }
    log.debug("{} sent GOAWAY {}: {}", c.peerName, goAway.code(), goAway.reason());
    if (c.state() == ConnectionState.OPEN) {
      // decided before CLOSING is: a send refused from then on, on any thread, is told whether the
      // connection comes back
      Reconnector reconnector = c.resumption.reconnector();
      reconnectAfterClose =
          goAway.knownCode() == GoAwayCode.SHUTTING_DOWN
              && reconnector != null
              && reconnector.isTrying()
              && !sendsRefused;
      // closing before the failures below: a request one of them prompts is refused with this
      // GOAWAY's words, not written after it where no one will answer
      c.moveTo(ConnectionState.CLOSING);
      goAwayCode = GoAwayCode.NORMAL;
      goAwayReason = "answering the peer's GOAWAY";
      if (!reconnectAfterClose) {
        failUnanswered(cause); // a reconnecting client asks the server that comes back instead
      }
      c.keepAlive.startDrain();
      c.mailbox.offerEvent(Mailbox.Event.PEER_GOAWAY);
      return;
    }
    failUnanswered(cause);
    // in CLOSING our own cut is on its way through the mailbox; past our GOAWAY this may end it
    if (c.state() == ConnectionState.GOAWAY_SENT) {
      maybeFinish();
    }
  }

  /** Fails the requests still waiting for an answer the peer, after its GOAWAY, will not give. */
  private void failUnanswered(ConnectionClosedException cause) {
    c.requests.failAll(
        id ->
            new ConnectionClosedException(
                cause.code(),
                cause.rawCode(),
                c.peerName
                    + " closed the connection before answering request #"
                    + id
                    + ": "
                    + cause.reason(),
                true,
                null));
  }

  boolean peerGoAwayReceived() {
    return peerGoAway;
  }

  /** The handler has finished what was received before the close (the mailbox's marker). */
  void onCutReached() {
    if (c.state() == ConnectionState.CLOSING) {
      cutReached = true;
      onRequestsIdle();
    }
  }

  /** Sends this side's GOAWAY once the cut is reached and no request is being answered. */
  void onRequestsIdle() {
    if (c.state() == ConnectionState.CLOSING && cutReached && c.mailbox.gate.closeIfIdle()) {
      sendGoAway(goAwayCode, goAwayReason);
    }
  }

  /** Returns true once a close has begun; a finished request then looks for the cut. */
  boolean closeStarted() {
    return c.state().isClosing();
  }

  private void sendGoAway(GoAwayCode code, String reason) {
    if (c.state() == ConnectionState.HANDSHAKING) {
      c.handshaker.sendServerPreamble();
    }
    c.mailbox.gate.close();
    c.outbound.appendFinal(GoAway.encodeFrame(code, reason));
    c.moveTo(ConnectionState.GOAWAY_SENT);
    c.keepAlive.startDrain();
    c.io().flush();
  }

  /** The GOAWAY and everything before it are written and the output is shut. */
  void onOutputShut() {
    maybeFinish();
  }

  void onEndOfStream() {
    eof = true;
    if (peerGoAway || c.state() == ConnectionState.GOAWAY_SENT) {
      if (!peerGoAway && closeCause != null) {
        int unacknowledged = c.outbound.unacknowledged(); // known in a resumable session
        closeCause =
            amended(
                closeCause,
                "peer "
                    + c.peerName
                    + " closed without GOAWAY"
                    + (unacknowledged > 0
                        ? " (" + unacknowledged + " messages written were not acknowledged)"
                        : ""));
      }
      maybeFinish();
      return;
    }
    if (c.resumption.onSocketLost(
        "peer " + c.peerName + " closed the connection without GOAWAY", null)) {
      eof = false;
      return;
    }
    String why =
        c.state() == ConnectionState.HANDSHAKING
            ? "peer " + c.peerName + " closed the connection during the handshake"
            : "peer " + c.peerName + " closed the connection without GOAWAY";
    ConnectionClosedException cause =
        c.state() == ConnectionState.HANDSHAKING
            ? new HandshakeException(GoAwayCode.UNKNOWN, -1, why, true, null)
            : new ConnectionClosedException(GoAwayCode.UNKNOWN, -1, why, true, null);
    c.reportHandshakeFailure(cause);
    failed = true;
    closeNow(closeCause != null ? amended(closeCause, why) : cause);
  }

  private void maybeFinish() {
    if (c.state() != ConnectionState.GOAWAY_SENT || !c.io().isOutputShut()) {
      return;
    }
    if (eof || closeOnceTold) {
      closeNow(closeCause);
    } else if (peerGoAway && !(peerClosedFirst && c.io().readToEndOfStream())) {
      closeNow(closeCause); // else the end of the peer's stream finishes it (onEndOfStream)
    }
  }

  /**
   * Closes gracefully, and returns true, if the close is over but for the end of the peer's TLS
   * stream, read so that closing the socket does not reset it (see {@link
   * SocketIo#readToEndOfStream}): what fails now ({@code why}) fails after the exchange confirmed
   * everything, as if the socket had closed a moment earlier.
   */
  private boolean closedAfterTheExchange(String why) {
    if (c.state() != ConnectionState.GOAWAY_SENT
        || !c.io().isOutputShut()
        || !peerClosedFirst
        || eof
        || failed) {
      return false;
    }
    log.debug("connection with {}: {} after the close exchange", c.peerName, why);
    closeNow(closeCause);
    return true;
  }

  /**
   * Closes because something is wrong (protocol error, idle timeout, failing handler): stops
   * delivering and decoding, fails outstanding requests, writes what is queued and GOAWAY(code),
   * and waits, up to the drain deadline, for the peer to finish.
   */
  void fail(GoAwayCode code, String reason) {
    if (c.state() == ConnectionState.CLOSED || failed) {
      return;
    }
    if (c.state() == ConnectionState.RESUMING) {
      if (c.outbound.preludeWritten()) {
        // the server read our HELLO and may think the session resumed: it is told why not
        c.io().refuseAndClose(GoAway.encodeFrame(code, reason));
      } else {
        c.io().close();
      }
      c.moveTo(ConnectionState.DETACHED);
      c.resumption
          .reconnector()
          .attemptFailed(
              reason, code != GoAwayCode.PROTOCOL_ERROR && code != GoAwayCode.UNSUPPORTED_VERSION);
      return;
    }
    if (c.state() == ConnectionState.DETACHED) {
      abandon(reason);
      return;
    }
    failed = true;
    boolean opened = c.peer() != null;
    log.warn("closing connection with {}: {} ({})", c.peerName, reason, code);
    ConnectionClosedException cause =
        opened
            ? new ConnectionClosedException(code, reason, false)
            : new HandshakeException(code, reason, false);
    c.reportHandshakeFailure(cause);
    closeCause = cause;
    c.requests.failAll(cause);
    int dropped = c.mailbox.discard();
    if (dropped > 0) {
      log.warn(
          "connection with {}: {} received messages not taken by receive() are dropped ({})",
          c.peerName,
          dropped,
          reason);
    }
    c.io().discardInput();
    if (c.state() == ConnectionState.CONNECTING) {
      closeNow(cause);
    } else if (code == GoAwayCode.IDLE_TIMEOUT) {
      // a peer silent for the whole idle timeout will not answer a GOAWAY either: write what the
      // socket takes now, and close without waiting out the drain deadline as well
      if (c.state() != ConnectionState.GOAWAY_SENT) {
        sendGoAway(code, reason);
      }
      closeNow(cause);
    } else if (c.state() != ConnectionState.GOAWAY_SENT) {
      sendGoAway(code, reason);
    } else {
      c.keepAlive.startDrain();
    }
  }

  void onProtocolError(ProtocolException e) {
    if (e.isSilent()) {
      log.warn("closing connection from {}: {}", c.peerName, e.getMessage());
      ConnectionClosedException cause = new HandshakeException(e.code(), e.getMessage(), false);
      failed = true;
      c.reportHandshakeFailure(cause);
      closeNow(cause);
    } else if (c.state() == ConnectionState.OPEN && !failed) {
      failAfterDelivering(e.code(), e.getMessage());
    } else {
      fail(e.code(), e.getMessage());
    }
  }

  /**
   * Closes because the peer broke the protocol mid-stream (a malformed or undecodable frame, one
   * over the limit): nothing after the fault is read, but the frames before it were sound, so what
   * they carried is not lost. The handler finishes the messages and requests received before the
   * fault (or they wait for {@code receive}), what it sends meanwhile is written, and only then
   * GOAWAY(code) follows, all within the drain deadline: the close of PROTOCOL.md §9 with an error
   * code, as a Netty pipeline hands on the messages decoded before the one that failed. Requests
   * this side sent fail at once, since no response can be read any more.
   */
  private void failAfterDelivering(GoAwayCode code, String reason) {
    failed = true;
    log.warn("closing connection with {}: {} ({})", c.peerName, reason, code);
    ConnectionClosedException cause = new ConnectionClosedException(code, reason, false);
    closeCause = cause;
    c.requests.failAll(cause);
    c.io().discardInput();
    goAwayCode = code;
    goAwayReason = reason;
    c.moveTo(ConnectionState.CLOSING);
    c.keepAlive.startDrain();
    c.mailbox.offerEvent(Mailbox.Event.LOCAL_CUT);
  }

  /**
   * TLS failed: a certificate was refused, the peer does not speak TLS, or a record was bad.
   * Nothing can be sent that the peer could read, so the socket closes at once; a session that can
   * be resumed is kept, as for any lost socket.
   */
  void tlsFailed(TlsFailure e) {
    if (closedAfterTheExchange(e.getMessage())) {
      return;
    }
    ConnectionState state = c.state();
    if (state == ConnectionState.CLOSED || state == ConnectionState.DETACHED) {
      return;
    }
    if (state == ConnectionState.RESUMING) {
      c.io().close();
      c.moveTo(ConnectionState.DETACHED);
      c.resumption
          .reconnector()
          .attemptFailed(e.getMessage(), e.code() == GoAwayCode.UNKNOWN); // a certificate or
      // a plaintext server does not heal by itself
      return;
    }
    if (state == ConnectionState.OPEN && c.resumption.onSocketLost(e.getMessage(), e)) {
      return;
    }
    if (!e.isRemote()) {
      // this side refused the peer (a certificate it does not trust, a malformed record): said
      // here once, as fail says its reasons, since a server's listener logs only what peers decide
      log.warn("closing connection with {}: {}", c.peerName, e.getMessage());
    }
    ConnectionClosedException cause =
        c.peer() != null
            ? new ConnectionClosedException(e.code(), -1, e.getMessage(), e.isRemote(), e)
            : new HandshakeException(e.code(), -1, e.getMessage(), e.isRemote(), e);
    c.reportHandshakeFailure(cause);
    failed = true;
    closeNow(closeCause != null ? amended(closeCause, e.getMessage()) : cause);
  }

  /** The socket failed under us. */
  void connectionLost(String why, IOException e) {
    if (closedAfterTheExchange(why)) {
      return;
    }
    if (c.state() == ConnectionState.CLOSED || c.resumption.onSocketLost(why, e)) {
      return;
    }
    if (c.state() == ConnectionState.CONNECTING) {
      c.connectFailed(new TetherException(why, e)); // refused, unreachable: not a handshake's fault
      return;
    }
    ConnectionClosedException cause =
        c.peer() != null
            ? new ConnectionClosedException(GoAwayCode.UNKNOWN, -1, why, true, e)
            : new HandshakeException(GoAwayCode.UNKNOWN, -1, why, true, e);
    c.reportHandshakeFailure(cause);
    failed = true;
    closeNow(closeCause != null ? amended(closeCause, why) : cause);
  }

  /** The drain deadline passed before the close could finish. */
  void drainExpired() {
    if (closedAfterTheExchange("the peer's stream did not end within the drain deadline")) {
      return; // a peer that sent GOAWAY but never ends its stream loses nothing
    }
    String why =
        "drain deadline of "
            + Deadlines.millis(c.config.drainTimeout())
            + " ms passed"
            + (c.state() == ConnectionState.CLOSING
                ? " while the handler was still finishing what it had received ("
                    + c.mailbox.gate.inProgress()
                    + " requests unanswered)"
                : peerGoAway || eof ? "" : " before the peer's GOAWAY");
    failed = true;
    closeNow(amended(closeCause, why));
  }

  /** Forces the socket closed, e.g. past a server's close deadline. Loop thread. */
  void abort(String why) {
    if (c.state() == ConnectionState.CLOSED) {
      return;
    }
    failed = true;
    closeNow(
        closeCause != null
            ? amended(closeCause, why)
            : new ConnectionClosedException(GoAwayCode.UNKNOWN, -1, why, false, null));
  }

  /** Aborts from any thread. */
  void abortSoon(String why) {
    c.loop.execute(() -> abort(why));
  }

  private static ConnectionClosedException amended(ConnectionClosedException cause, String why) {
    if (cause == null) {
      return new ConnectionClosedException(GoAwayCode.UNKNOWN, -1, why, false, null);
    }
    return new ConnectionClosedException(
        cause.code(), cause.rawCode(), cause.reason() + "; " + why, cause.isRemote(), null);
  }

  /** Closes the socket at once and tells everyone; the end of every path. Loop thread. */
  void closeNow(ConnectionClosedException cause) {
    if (c.state() == ConnectionState.CLOSED) {
      return;
    }
    // end of stream alone does not make a close graceful: only the peer's GOAWAY, which it writes
    // after it has read ours and all before it, confirms what was written (PROTOCOL.md §8)
    boolean graceful =
        closedWithNothingToDeliver
            || !failed
                && c.state() == ConnectionState.GOAWAY_SENT
                && c.io().isOutputShut()
                && peerGoAway;
    if (graceful && reconnectAfterClose && !sendsRefused) {
      startNewSession(cause != null ? cause : closeCause);
      return;
    }
    reconnectAfterClose = false;
    c.moveTo(ConnectionState.CLOSED);
    c.keepAlive.stop();
    c.access.stop();
    c.io().close();
    int unsent = c.outbound.discard();
    ConnectionClosedException base = cause != null ? cause : closeCause;
    String reason = base.reason();
    if (unsent > 0) {
      reason += "; " + unsent + " accepted messages were never written to " + c.peerName;
    } else if (!graceful
        && c.peer() != null
        && c.outbound.acceptedMessages() > 0
        && !base.isRemote()) {
      reason += "; " + c.peerName + " did not confirm the messages written before the close";
    }
    ConnectionClosedException last =
        base instanceof HandshakeException
            ? base
            : new ConnectionClosedException(
                base.code(),
                base.rawCode(),
                reason,
                base.isRemote(),
                base.getCause(),
                unsent,
                graceful);
    closeCause = last;
    log.debug("connection with {} closed: {}", c.peerName, last.getMessage());
    // each of these must happen even if another throws (a listener, or no class file to load
    // when the process is out of file descriptors)
    safely(c.resumption::closed);
    safely(() -> c.requests.failAll(last));
    safely(() -> c.reportHandshakeFailure(last));
    safely(() -> c.listener.onClosed(c));
    c.mailbox.offerEvent(Mailbox.Event.CLOSED);
  }

  /**
   * The server shut down gracefully, and the exchange confirmed everything this side wrote: a
   * reconnecting client does not close but reconnects, as after a lost socket, for a new session
   * (the server that comes back has none of the old one), with the close's one-way state undone.
   */
  private void startNewSession(ConnectionClosedException cause) {
    restartedAfter = cause;
    reconnectAfterClose = false;
    peerGoAway = false;
    peerClosedFirst = false;
    eof = false;
    cutReached = false;
    goAwayCode = GoAwayCode.NORMAL;
    goAwayReason = "";
    closeCause = null;
    c.io().close();
    c.keepAlive.stop();
    c.keepAlive.endDrain();
    c.mailbox.gate.reopen();
    c.outbound.startNewSession();
    askAgain(cause);
    c.resumption.serverShutDown(cause);
  }

  /**
   * Queues the requests still unanswered for the server that comes back. The one that shut down
   * answered every request it processed before its GOAWAY, so these it did not process (PROTOCOL.md
   * §8): sent after its GOAWAY was written, or by a handler after it came. Asking again is safe
   * whatever they do, as gRPC retries the streams a GOAWAY refused. Their timeouts run on. They are
   * queued within the outbound bound as the loop's sends are; those that do not fit fail.
   */
  private void askAgain(ConnectionClosedException cause) {
    for (Requests.Pending pending : c.requests.outstanding()) {
      c.sender.requestAgain(pending, cause);
    }
  }

  private void safely(Runnable step) {
    try {
      step.run();
    } catch (Throwable t) {
      log.error("closing connection with {}: a step failed", c.peerName, Throwables.loggable(t));
    }
  }

  ConnectionClosedException closeCause() {
    return closeCause;
  }

  /** Completes the close stage; called by the mailbox after the close handler. */
  void completeClose() {
    closeFuture.complete(closeCause);
  }

  @Override
  public RuntimeException closedCause() {
    return closedException();
  }

  @Override
  public void writableAgain() {
    c.writableAgain();
  }

  /** Returns the exception for an operation refused because the connection is closing. */
  ConnectionClosedException closedException() {
    ConnectionClosedException cause = closeCause;
    // restartedAfter too: startNewSession sets it before it clears reconnectAfterClose and then
    // closeCause, so a send racing with it that still sees the old cause is told it reconnects
    boolean reconnecting = reopensAfterClose() && !sendsRefused;
    if (cause == null && !sendsRefused) {
      cause = restartedAfter; // refused while the close ended in a new session
      reconnecting = cause != null;
    }
    if (cause == null) {
      return new ConnectionClosedException(
          GoAwayCode.NORMAL, "connection with " + c.peerName + " is closing", false);
    }
    String reason = cause.reason();
    if (reconnecting) {
      reason +=
          "; this connection reconnects (its ReconnectPolicy) once the close exchange is over, and"
              + " takes sends again from then on";
    }
    return new ConnectionClosedException(
        cause.code(), cause.rawCode(), reason, cause.isRemote(), cause);
  }
}
