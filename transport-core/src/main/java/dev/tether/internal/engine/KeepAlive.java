package dev.tether.internal.engine;

import dev.tether.GoAwayCode;
import java.util.concurrent.TimeUnit;

/**
 * The one timer of a connection, and the clocks it watches (PROTOCOL.md §4, §6, §8): the connect
 * and handshake deadlines, the idle timeout, the PING schedule, a peer that stopped reading, and
 * the drain deadline of a close. The timer is scheduled at the earliest of the deadlines that apply
 * in the connection's state; the clocks themselves are plain fields that reads and writes update
 * without touching the timer, and a timer that fires early just reschedules itself. An idle
 * connection therefore costs one timer firing per heartbeat and nothing in between.
 *
 * <p>Loop thread only, except {@link #sent}, which senders call.
 */
final class KeepAlive extends DeadlineQueue.Timer {
  private static final long RTT_SANITY_NANOS = TimeUnit.MINUTES.toNanos(10);

  /** A side that only answers PINGs still sends one of its own after this many heartbeats. */
  private static final long RTT_REFRESH_HEARTBEATS = 8;

  /** After this long with nothing to write, the outbound queue gives its ring back. */
  private static final long TRIM_AFTER_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final RealConnection<?, ?> connection;
  private final long idleNanos;
  private long heartbeatNanos;

  private long connectDeadline;
  private long handshakeDeadline;
  private long resumeDeadline;
  private boolean resumeCutByGiveUp;
  private long drainDeadline;
  private boolean drainScheduled;

  /** Set while a verdict waits for the loop's next look at the sockets ({@link #heldUp}). */
  private boolean deferred;

  /** How many idle timeouts a peer that keeps talking may take to read what waits for it. */
  static final int BUSY_PEER_GRACE = 5;

  private long lastReadNanos;

  /** When bytes last came from the peer; unlike {@link #lastReadNanos}, never set while paused. */
  private long lastHeardNanos;

  private long lastPingNanos;
  private volatile long lastSentNanos;
  private volatile long rttNanos;
  private volatile long pongs;

  KeepAlive(RealConnection<?, ?> connection) {
    this.connection = connection;
    this.idleNanos = Deadlines.nanos(connection.config.idleTimeout());
    long now = System.nanoTime();
    lastReadNanos = lastHeardNanos = lastPingNanos = lastSentNanos = now;
  }

  /** Starts the connect deadline (clients) or the handshake deadline. */
  void start(boolean connecting) {
    long now = System.nanoTime();
    if (connecting) {
      connectDeadline = Deadlines.after(now, Deadlines.nanos(connection.config.connectTimeout()));
    } else {
      startHandshake();
    }
    reschedule(now);
  }

  /** The handshake clock starts once the connect completes, not before (see the design notes). */
  void startHandshake() {
    long now = System.nanoTime();
    handshakeDeadline = Deadlines.after(now, Deadlines.nanos(connection.config.handshakeTimeout()));
    reschedule(now);
  }

  /**
   * A client's resuming socket: connect and handshake together are bounded, and by the time its
   * policy gives up at, if sooner.
   */
  void startResuming(boolean connecting) {
    long now = System.nanoTime();
    resumeDeadline =
        Deadlines.after(
            now,
            Deadlines.nanos(connection.config.connectTimeout())
                + Deadlines.nanos(connection.config.handshakeTimeout()));
    Reconnector reconnector = connection.resumption.reconnector();
    long giveUpAt = reconnector == null ? 0 : reconnector.giveUpAtNanos();
    resumeCutByGiveUp = giveUpAt != 0 && giveUpAt - resumeDeadline < 0;
    if (resumeCutByGiveUp) {
      resumeDeadline = giveUpAt;
    }
    reschedule(now);
  }

  /**
   * A client's new socket is open, its session resumed or a new one begun: the clocks start again,
   * with the heartbeat that the server on it asks for (the one that came back may have another idle
   * timeout).
   */
  void resumed(long heartbeatMillis) {
    heartbeatNanos = TimeUnit.MILLISECONDS.toNanos(heartbeatMillis);
    resumed();
  }

  /** A session resumed on a new socket: the clocks start again, with the same heartbeat. */
  void resumed() {
    long now = System.nanoTime();
    lastPingNanos = now;
    lastReadNanos = now;
    lastHeardNanos = now;
    lastSentNanos = now;
    reschedule(now);
  }

  /** Arms the heartbeat once the handshake told the peer's idle timeout. */
  void opened(long heartbeatMillis) {
    heartbeatNanos = TimeUnit.MILLISECONDS.toNanos(heartbeatMillis);
    long now = System.nanoTime();
    lastPingNanos = now;
    lastReadNanos = now;
    lastHeardNanos = now;
    reschedule(now);
  }

  /**
   * Starts the drain deadline of a close, once; returns it (in {@link System#nanoTime()} units).
   */
  long startDrain() {
    if (!drainScheduled) {
      drainScheduled = true;
      long now = System.nanoTime();
      drainDeadline = Deadlines.after(now, Deadlines.nanos(connection.config.drainTimeout()));
      reschedule(now);
    }
    return drainDeadline;
  }

  /** The close that started the drain deadline ended in a new session: no deadline any more. */
  void endDrain() {
    drainScheduled = false;
  }

  /**
   * Reading resumes after a pause: the peer's silence counts from now, not from its last frame,
   * which may be older than the idle timeout only because this side was not listening.
   */
  void listening(long now) {
    lastReadNanos = now;
  }

  /** A frame was read. */
  void read(long now) {
    lastReadNanos = now;
    lastHeardNanos = now;
  }

  /**
   * Bytes of frames went to the socket at {@code now}: the loop's writes and senders' direct writes
   * report it, so that senders whose frames are queued read no clock (on a virtual machine a read
   * cost a fifth of a small send's CPU). A queued frame is a sign of life only once written; while
   * frames wait, no PING is sent anyway. Any thread.
   */
  void sent(long now) {
    lastSentNanos = now;
  }

  /** A PONG answered one of our PINGs, which carried the time it was sent. */
  void pong(long sentNanos, long now) {
    long rtt = now - sentNanos;
    if (rtt >= 0 && rtt < RTT_SANITY_NANOS) {
      rttNanos = rtt;
      pongs++;
    }
  }

  long rttNanos() {
    return rttNanos;
  }

  long pongs() {
    return pongs;
  }

  void stop() {
    connection.loop.cancel(this);
  }

  @Override
  void onTimer(long now) {
    if (heldUp(now)) {
      connection.loop.schedule(this, now + 1); // after the next look: the loop looks first
      return;
    }
    ConnectionState state = connection.state();
    switch (state) {
      case CONNECTING -> {
        if (now - connectDeadline >= 0) {
          connection.connectTimedOut();
          return;
        }
      }
      case HANDSHAKING -> {
        if (now - handshakeDeadline >= 0) {
          connection.handshakeTimedOut();
          return;
        }
      }
      case RESUMING -> {
        if (now - resumeDeadline >= 0) {
          connection.resumption.onSocketLost(
              "no WELCOME from "
                  + connection.peerName
                  + (resumeCutByGiveUp
                      ? " before the reconnect policy's giveUpAfter ran out"
                      : " within the connect and handshake timeouts"),
              null);
          return;
        }
      }
      case DETACHED -> {
        return; // the session's own timers run while it has no socket
      }
      case OPEN, CLOSING, GOAWAY_SENT -> {
        if (drainScheduled && now - drainDeadline >= 0) {
          connection.closer.drainExpired();
          return;
        }
        // once closing, the drain deadline bounds everything; silence is judged only while open
        if (state == ConnectionState.OPEN && checkPeer(now)) {
          return;
        }
        if (state != ConnectionState.GOAWAY_SENT) {
          heartbeat(now);
        }
      }
      case CLOSED -> {
        return;
      }
    }
    reschedule(now);
  }

  /**
   * Returns true, once in a row, if the loop last looked at its sockets well before {@code now}:
   * its thread was held up since (a long GC pause, a stopped process, a suspended virtual machine,
   * a very long turn), and what the peer sent meanwhile waits unread. Judged now, a peer that kept
   * talking would seem silent, a WELCOME or GOAWAY waiting to be read would seem late, and the
   * frames behind them would be lost with the connection; so the verdicts wait for the loop's next
   * look, which comes before it runs a due timer. Once in a row: a loop whose every turn is that
   * long still judges, one turn late.
   */
  private boolean heldUp(long now) {
    if (!deferred && now - connection.loop.lookedAt() > EventLoop.HELD_UP_NANOS) {
      deferred = true;
      return true;
    }
    deferred = false;
    return false;
  }

  /** Closes the connection if the peer went silent or stopped reading; true if it did. */
  private boolean checkPeer(long now) {
    if (idleNanos == 0) {
      return false;
    }
    if (connection.io().isReadPaused()) {
      lastReadNanos = now; // this side is not listening; the peer is not silent
    }
    if (now - lastReadNanos >= idleNanos) {
      silent(
          "no frame received from "
              + connection.peerName
              + " for "
              + TimeUnit.NANOSECONDS.toMillis(now - lastReadNanos)
              + " ms (idle timeout "
              + connection.config.idleTimeout().toMillis()
              + " ms)");
      return true;
    }
    OutboundBuffer out = connection.outbound;
    int queued = out.unwritten();
    long stalled = now - out.lastProgressNanos();
    if (queued > 0 && stalled >= idleNanos && !busyPeer(now, stalled)) {
      silent(
          connection.peerName
              + " has read nothing for "
              + TimeUnit.NANOSECONDS.toMillis(stalled)
              + " ms while "
              + queued
              + " bytes wait for it (idle timeout "
              + connection.config.idleTimeout().toMillis()
              + " ms"
              + (now - lastHeardNanos < idleNanos
                  ? "; it kept sending, so it had " + BUSY_PEER_GRACE + " idle timeouts to read)"
                  : ")"));
      return true;
    }
    return false;
  }

  /**
   * Returns true if a peer that has read nothing for the idle timeout is still given time: it was
   * heard from within the idle timeout, so it is alive and only slow to read (its handlers are
   * busy, or it waits for memory to receive large frames: {@link ReceiveMemory}), for up to {@link
   * #BUSY_PEER_GRACE} idle timeouts. A peer that neither reads nor says anything is judged at one.
   */
  private boolean busyPeer(long now, long stalled) {
    return now - lastHeardNanos < idleNanos && stalled < BUSY_PEER_GRACE * idleNanos;
  }

  /**
   * The peer went silent, or stopped reading: a resumable session drops the socket and waits for
   * (or makes) a new one; anything else closes with IDLE_TIMEOUT.
   */
  private void silent(String why) {
    if (!connection.resumption.onSocketLost(why, null)) {
      connection.closer.fail(GoAwayCode.IDLE_TIMEOUT, why);
    }
  }

  private void heartbeat(long now) {
    if (heartbeatNanos > 0 && now - nextPing() >= 0) {
      connection.io().sendPing(now); // skipped while frames are queued: they are signs of life
      lastPingNanos = now;
    }
    if (now - connection.outbound.lastProgressNanos() > TRIM_AFTER_NANOS) {
      connection.outbound.trim();
    }
    connection.mailbox.trimIfIdle();
  }

  private void reschedule(long now) {
    long next = Long.MAX_VALUE;
    switch (connection.state()) {
      case CONNECTING -> next = connectDeadline;
      case HANDSHAKING -> next = handshakeDeadline;
      case RESUMING -> next = resumeDeadline;
      case DETACHED -> {
        return;
      }
      case OPEN, CLOSING, GOAWAY_SENT -> {
        if (drainScheduled) {
          next = drainDeadline;
        }
        if (idleNanos > 0 && connection.state() == ConnectionState.OPEN) {
          next = earliest(next, lastReadNanos + idleNanos);
          if (connection.outbound.unwritten() > 0) {
            long progress = connection.outbound.lastProgressNanos();
            long stallAt = progress + idleNanos;
            if (stallAt - now <= 0 && busyPeer(now, now - progress)) {
              // judged again when it falls silent, or at the end of its grace
              stallAt =
                  earliest(lastHeardNanos + idleNanos, progress + BUSY_PEER_GRACE * idleNanos);
            }
            next = earliest(next, stallAt);
          }
        }
        if (heartbeatNanos > 0 && connection.state() != ConnectionState.GOAWAY_SENT) {
          next = earliest(next, nextPing());
        }
      }
      case CLOSED -> {
        return;
      }
    }
    if (next != Long.MAX_VALUE) {
      // a deadline already past (a clock moved while we computed) runs on the next turn
      connection.loop.schedule(this, next - now < 0 ? now : next);
    }
  }

  /**
   * Returns when the next PING is due: a heartbeat after the last frame sent, PONGs included (any
   * frame is a sign of life, so with equal intervals only one side pings), but at least every
   * {@link #RTT_REFRESH_HEARTBEATS} heartbeats, so that both sides measure the round trip.
   */
  private long nextPing() {
    long last = lastSentNanos - lastPingNanos > 0 ? lastSentNanos : lastPingNanos;
    return earliest(last + heartbeatNanos, lastPingNanos + RTT_REFRESH_HEARTBEATS * heartbeatNanos);
  }

  private static long earliest(long a, long b) {
    if (a == Long.MAX_VALUE) {
      return b;
    }
    return b - a < 0 ? b : a;
  }
}
