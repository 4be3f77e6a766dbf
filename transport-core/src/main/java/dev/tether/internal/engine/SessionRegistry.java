package dev.tether.internal.engine;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server's resumable sessions by token (PROTOCOL.md §13): tokens are 16 bytes from a {@link
 * SecureRandom}, so they cannot be guessed. Sessions whose socket failed wait here for their
 * client, each for at most the session timeout, and all together within a memory budget: past it,
 * the longest-waiting ones are let go first.
 *
 * <p>Thread safe.
 */
final class SessionRegistry {
  private static final Logger log = LoggerFactory.getLogger(SessionRegistry.class);

  /**
   * What a session holds besides its outbound buffer, counted against the budget: its connection,
   * mailbox, decoder and timers; measured at about 3.7 KB for a session that exchanged nothing and
   * 5.9 KB for one that exchanged a message each way. Without it, sessions that hold no frames
   * would cost the budget nothing, and a client that starts sessions and drops their sockets could
   * make the server keep any number of them.
   */
  static final long SESSION_BYTES = 8 * 1024;

  private final SecureRandom random = new SecureRandom();
  private final Duration timeout;
  private final long maxDetachedBytes;
  private final Map<String, RealConnection<?, ?>> byToken = new ConcurrentHashMap<>();

  /**
   * The detached sessions, longest-waiting first, each with its weight as last counted: at detach,
   * and again whenever a send to it queues more ({@link #onQueued}).
   */
  private final LinkedHashMap<RealConnection<?, ?>, Long> detached = new LinkedHashMap<>();

  /** The sum of the weights in {@link #detached}; guarded by it. */
  private long detachedTotal;

  SessionRegistry(Duration timeout, long maxDetachedBytes) {
    this.timeout = timeout;
    this.maxDetachedBytes = maxDetachedBytes;
  }

  /** How long a session whose socket failed is kept for its client. */
  Duration timeout() {
    return timeout;
  }

  /** Registers a new session and returns its token. */
  byte[] register(RealConnection<?, ?> session) {
    byte[] token = new byte[dev.tether.internal.wire.Resume.TOKEN_BYTES];
    random.nextBytes(token);
    byToken.put(key(token), session);
    return token;
  }

  /** Returns the session with this token, or null. */
  RealConnection<?, ?> find(byte[] token) {
    return byToken.get(key(token));
  }

  /** Forgets a session that ended. */
  void remove(RealConnection<?, ?> session, byte[] token) {
    if (token != null) {
      byToken.remove(key(token), session);
    }
    forget(session);
  }

  /**
   * A session lost its socket; lets the longest-waiting ones go while the memory they hold is over
   * the budget.
   */
  void onDetached(RealConnection<?, ?> session) {
    session.outbound.trimWhileDetached();
    List<RealConnection<?, ?>> evicted;
    synchronized (detached) {
      detached.put(session, 0L);
      long total = 0;
      for (var e : detached.entrySet()) {
        long weight = weight(e.getKey());
        e.setValue(weight);
        total += weight;
      }
      detachedTotal = total;
      evicted = evictOverBudget();
    }
    letGo(evicted);
  }

  /**
   * A send queued frames on a session, which may be detached: what it holds now counts against the
   * budget at once, not only from the next detach, so that sends to sessions that detached holding
   * little (a broadcast, say) cannot make them hold more than the budget together. Any thread.
   */
  void onQueued(RealConnection<?, ?> session) {
    List<RealConnection<?, ?>> evicted;
    synchronized (detached) {
      Long counted = detached.get(session);
      if (counted == null) {
        return;
      }
      long weight = weight(session);
      if (weight == counted) {
        return;
      }
      detached.put(session, weight); // keeps its place: the order is how long each has waited
      detachedTotal += weight - counted;
      evicted = evictOverBudget();
    }
    letGo(evicted);
  }

  /** Takes the longest-waiting sessions out while the total is over the budget; lock held. */
  private List<RealConnection<?, ?>> evictOverBudget() {
    List<RealConnection<?, ?>> evicted = new ArrayList<>();
    for (var it = detached.entrySet().iterator();
        it.hasNext() && detachedTotal > maxDetachedBytes; ) {
      var oldest = it.next();
      detachedTotal -= oldest.getValue();
      it.remove();
      evicted.add(oldest.getKey());
    }
    return evicted;
  }

  private void letGo(List<RealConnection<?, ?>> evicted) {
    for (RealConnection<?, ?> s : evicted) {
      log.warn(
          "letting the session with {} go: detached sessions hold more than {} bytes",
          s.peerName,
          maxDetachedBytes);
      s.loop.execute(
          () ->
              s.resumption.expire(
                  "the server let the session go: its detached sessions held more than "
                      + maxDetachedBytes
                      + " bytes"));
    }
  }

  /** A session got its client back. */
  void onAttached(RealConnection<?, ?> session) {
    forget(session);
  }

  private void forget(RealConnection<?, ?> session) {
    synchronized (detached) {
      Long counted = detached.remove(session);
      if (counted != null) {
        detachedTotal -= counted;
      }
    }
  }

  /** The memory a detached session holds, as the budget counts it. */
  private static long weight(RealConnection<?, ?> session) {
    return SESSION_BYTES + session.outbound.retainedBytes();
  }

  int detachedCount() {
    synchronized (detached) {
      return detached.size();
    }
  }

  private static String key(byte[] token) {
    return HexFormat.of().formatHex(token);
  }
}
