package dev.tether.internal.engine;

import dev.tether.ConnectionClosedException;
import dev.tether.GoAwayCode;
import dev.tether.HandshakeException;
import dev.tether.ReconnectPolicy;
import dev.tether.TetherException;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client connection's way back after its socket failed: attempts on the connection's loop, spaced
 * by exponential backoff with jitter up to a cap ({@link ReconnectPolicy}), until one succeeds, the
 * policy's attempts or time run out, or the server refuses in a way that cannot heal. Each attempt
 * opens a new socket for the same connection, whose {@link Resumption} then resumes the session or
 * reports it lost.
 *
 * <p>Loop thread only.
 */
final class Reconnector extends DeadlineQueue.Timer {
  private static final Logger log = LoggerFactory.getLogger(Reconnector.class);

  /** Refusals that say something about the client, not the moment: retrying cannot help. */
  private static final Set<GoAwayCode> FINAL =
      EnumSet.of(
          GoAwayCode.APP_PROTOCOL_MISMATCH,
          GoAwayCode.NO_COMMON_CODEC,
          GoAwayCode.SERVER_NAME_MISMATCH,
          GoAwayCode.UNAUTHORIZED,
          GoAwayCode.UNSUPPORTED_VERSION,
          GoAwayCode.PROTOCOL_ERROR);

  private final RealConnection<?, ?> c;
  private final ReconnectPolicy policy;
  private SocketAddress address;
  private int attempts;
  private long disconnectedAt;
  private long nextBackoffNanos;
  private String lastFailure = "";
  private boolean stopped;

  Reconnector(RealConnection<?, ?> connection, ReconnectPolicy policy) {
    this.c = connection;
    this.policy = policy;
  }

  /** The resolved address to reconnect to; set once the first connect succeeded. */
  void address(SocketAddress address) {
    this.address = address;
  }

  int attempts() {
    return attempts;
  }

  /** The socket failed: the first attempt follows the initial backoff. */
  void onDisconnected() {
    attempts = 0;
    disconnectedAt = System.nanoTime();
    nextBackoffNanos = Deadlines.nanos(policy.initialBackoff());
    scheduleNext();
  }

  /**
   * An attempt failed. A refusal that cannot heal gives up at once; anything else is retried after
   * the next backoff, unless the policy's attempts or time have run out.
   */
  void attemptFailed(String why, boolean healable) {
    lastFailure = why;
    log.debug("reconnect attempt {} to {} failed: {}", attempts, c.peerName, why);
    if (!healable) {
      giveUp("the server refused in a way retrying cannot mend: " + why);
      return;
    }
    scheduleNext();
  }

  /**
   * Returns when the policy's {@link ReconnectPolicy#giveUpAfter()} runs out for this
   * disconnection, or 0 if it has no such limit: an attempt in flight then is not waited for, since
   * a socket that connects and never hears back would otherwise hold the give-up until its connect
   * and handshake timeouts.
   */
  long giveUpAtNanos() {
    long limit = Deadlines.nanos(policy.giveUpAfter());
    return limit > 0 ? Deadlines.after(disconnectedAt, limit) : 0;
  }

  /** Whether a handshake refusal with this code can heal by waiting. */
  static boolean healable(HandshakeException refusal) {
    return !FINAL.contains(refusal.code());
  }

  private void scheduleNext() {
    if (stopped) {
      return;
    }
    long elapsed = System.nanoTime() - disconnectedAt;
    long limit = Deadlines.nanos(policy.giveUpAfter());
    if ((policy.maxAttempts() > 0 && attempts >= policy.maxAttempts())
        || (limit > 0 && elapsed >= limit)) {
      giveUp(
          "gave up reconnecting to "
              + c.peerName
              + " after "
              + attempts
              + " attempts in "
              + elapsed / 1_000_000
              + " ms"
              + (limit > 0 && elapsed >= limit
                  ? " (the policy's giveUpAfter is " + policy.giveUpAfter().toMillis() + " ms)"
                  : "")
              + (lastFailure.isEmpty() ? "" : "; the last failed: " + lastFailure));
      return;
    }
    double spread = 1 + policy.jitter() * (2 * ThreadLocalRandom.current().nextDouble() - 1);
    long wait = (long) (nextBackoffNanos * spread);
    nextBackoffNanos =
        (long)
            Math.min(Deadlines.nanos(policy.maxBackoff()), nextBackoffNanos * policy.multiplier());
    c.loop.schedule(this, System.nanoTime() + Math.max(0, wait));
  }

  @Override
  void onTimer(long now) {
    if (stopped || c.state() != ConnectionState.DETACHED) {
      return;
    }
    attempts++;
    SocketChannel channel = null;
    try {
      channel = Channels.openClient(address);
      boolean connected = channel.connect(address);
      if (connected) {
        Channels.refuseSelfConnect(channel);
      }
      c.resumption.startSocket(channel, connected);
    } catch (IOException | RuntimeException e) {
      if (c.state() == ConnectionState.RESUMING) {
        c.io().close();
        c.moveTo(ConnectionState.DETACHED);
      }
      if (channel != null) {
        Channels.closeQuietly(channel); // not yet the session's socket, or closed with it
      }
      attemptFailed("cannot connect to " + c.peerName + ": " + e.getMessage(), true);
    }
  }

  private void giveUp(String why) {
    stopped = true;
    log.warn("{}", why);
    ConnectionClosedException cause =
        new ConnectionClosedException(GoAwayCode.UNKNOWN, -1, why, false, null);
    c.mailbox.offerEvent(SessionEvent.gaveUp(new TetherException(why)));
    c.closer.abandon(why);
    log.debug("gave up: {}", cause.getMessage());
  }

  /**
   * Returns true if it tries again and again by itself: a close of a session without a socket can
   * wait for it. Loop thread.
   */
  boolean isTrying() {
    return !stopped;
  }

  /** Makes the next attempt now instead of after the backoff (the application is closing). */
  void attemptNow() {
    if (!stopped && c.state() == ConnectionState.DETACHED) {
      c.loop.cancel(this);
      c.loop.schedule(this, System.nanoTime());
    }
  }

  /** Stops reconnecting: the connection closed. */
  void stop() {
    stopped = true;
    c.loop.cancel(this);
  }
}
