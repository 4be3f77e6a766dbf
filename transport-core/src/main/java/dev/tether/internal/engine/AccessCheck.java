package dev.tether.internal.engine;

import dev.tether.AccessRequest;
import dev.tether.Admission;
import dev.tether.Authorizer;
import dev.tether.GoAwayCode;
import dev.tether.internal.tls.Certificates;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a connection's peer may use it, now and later: asks the {@link Authorizer} during the
 * handshake (on the handler executor, never on the loop), and re-checks when the admission or the
 * peer's certificate chain expires, with a timer on the connection's loop. A peer no longer
 * admitted is sent GOAWAY(UNAUTHORIZED) with the reason.
 *
 * <p>Loop thread only; the authorizer itself runs on the executor, on an immutable request.
 */
final class AccessCheck extends DeadlineQueue.Timer {
  private static final Logger log = LoggerFactory.getLogger(AccessCheck.class);

  /** Expiries further away than this are watched from this distance: they are "never". */
  private static final long MAX_DELAY_NANOS = TimeUnit.DAYS.toNanos(100L * 365);

  private final RealConnection<?, ?> connection;
  private final Authorizer authorizer;
  private final Executor executor;
  private final String peerSide;

  /** What an admission granted: the facts it was given and until when it holds (null: always). */
  record Grant(AccessRequest request, Instant admittedUntil) {}

  private AccessRequest request;
  private Instant admittedUntil;
  private X509Certificate firstToExpire;
  private boolean asking;
  private boolean stopped;

  /**
   * @param authorizer judges the peer; null admits every peer TLS accepted
   * @param executor where the authorizer runs
   */
  AccessCheck(RealConnection<?, ?> connection, Authorizer authorizer, Executor executor) {
    this.connection = connection;
    this.authorizer = authorizer;
    this.executor = executor;
    this.peerSide = connection.client ? "server" : "client";
  }

  /** Returns true if an authorizer must admit the peer before the connection opens. */
  boolean decidesAdmission() {
    return authorizer != null;
  }

  /**
   * Asks the authorizer about the peer; on the loop, runs {@code onAdmitted} if it admits it, and
   * otherwise fails the connection with UNAUTHORIZED (INTERNAL_ERROR if the authorizer threw).
   */
  void decide(AccessRequest request, Runnable onAdmitted) {
    this.request = request;
    ask(
        admission -> {
          if (connection.state() != ConnectionState.HANDSHAKING) {
            return; // closed meanwhile, e.g. by the handshake timeout
          }
          if (!admission.isAdmitted()) {
            connection.closer.fail(
                GoAwayCode.UNAUTHORIZED, "access refused: " + admission.reason());
            return;
          }
          Instant expiry = admission.expiry().orElse(null);
          if (expiry != null && !expiry.isAfter(Instant.now())) {
            connection.closer.fail(
                GoAwayCode.UNAUTHORIZED, "access refused: the credentials expired at " + expiry);
            return;
          }
          admittedUntil = expiry;
          onAdmitted.run();
        });
  }

  /**
   * The connection is open: watches until when the peer stays admitted, the earliest of the
   * admission's expiry and its certificates' expiry.
   */
  void opened(List<X509Certificate> peerCertificates) {
    firstToExpire = Certificates.firstToExpire(peerCertificates);
    reschedule();
  }

  /** Returns what the authorizer granted this connection, or null if there is no authorizer. */
  Grant grant() {
    return authorizer == null || request == null ? null : new Grant(request, admittedUntil);
  }

  /**
   * A session resumed on a socket whose peer was admitted again ({@code grant}, null without an
   * authorizer): from now on that admission and the new socket's certificates are watched.
   */
  void resumed(Grant grant, List<X509Certificate> peerCertificates) {
    if (grant != null) {
      request = grant.request();
      admittedUntil = grant.admittedUntil();
    }
    opened(peerCertificates);
  }

  @Override
  void onTimer(long now) {
    if (stopped || connection.state() == ConnectionState.CLOSED) {
      return;
    }
    Instant wall = Instant.now();
    if (firstToExpire != null && !wall.isBefore(firstToExpire.getNotAfter().toInstant())) {
      connection.closer.fail(
          GoAwayCode.UNAUTHORIZED,
          "the "
              + peerSide
              + "'s certificate "
              + Certificates.subject(firstToExpire)
              + " expired at "
              + firstToExpire.getNotAfter().toInstant());
      return;
    }
    if (admittedUntil != null && !wall.isBefore(admittedUntil)) {
      recheck();
      return;
    }
    reschedule(); // early: the wall clock and the loop's clock differ a little
  }

  /** The admission expired: asks the authorizer again, on the same facts. */
  private void recheck() {
    if (asking) {
      return;
    }
    Instant expired = admittedUntil;
    ask(
        admission -> {
          if (stopped || connection.state() == ConnectionState.CLOSED) {
            return;
          }
          if (!admission.isAdmitted()) {
            connection.closer.fail(
                GoAwayCode.UNAUTHORIZED,
                "access expired at " + expired + " and was refused again: " + admission.reason());
            return;
          }
          Instant next = admission.expiry().orElse(null);
          if (next != null && !next.isAfter(Instant.now())) {
            connection.closer.fail(
                GoAwayCode.UNAUTHORIZED,
                "access expired at " + expired + " and the authorizer did not renew it");
            return;
          }
          admittedUntil = next;
          reschedule();
        });
  }

  /** Runs the authorizer on the executor, then {@code then} with its decision on the loop. */
  private void ask(Consumer<Admission> then) {
    asking = true;
    AccessRequest asked = request;
    Runnable call =
        () -> {
          Admission admission;
          Throwable failure = null;
          try {
            admission = authorizer.authorize(asked);
            if (admission == null) {
              throw new NullPointerException("the authorizer returned null");
            }
          } catch (Throwable t) {
            admission = null;
            failure = t;
          }
          Admission decided = admission;
          Throwable failed = failure;
          connection.loop.execute(
              () -> {
                asking = false;
                if (failed != null) {
                  authorizerFailed(failed);
                } else {
                  then.accept(decided);
                }
              });
        };
    try {
      executor.execute(call);
    } catch (RejectedExecutionException e) {
      asking = false;
      authorizerFailed(e);
    }
  }

  private void authorizerFailed(Throwable failure) {
    if (stopped || connection.state() == ConnectionState.CLOSED) {
      return;
    }
    connection.closer.fail(
        GoAwayCode.INTERNAL_ERROR, "the authorizer failed: " + Throwables.text(failure));
    log.error(
        "the authorizer failed on the connection with {}",
        connection.peerName,
        Throwables.loggable(failure));
  }

  private void reschedule() {
    if (stopped) {
      return;
    }
    Instant next = admittedUntil;
    if (firstToExpire != null) {
      Instant certificate = firstToExpire.getNotAfter().toInstant();
      if (next == null || certificate.isBefore(next)) {
        next = certificate;
      }
    }
    if (next == null) {
      if (isScheduled()) {
        connection.loop.cancel(this);
      }
      return;
    }
    connection.loop.schedule(this, System.nanoTime() + delayNanos(next));
  }

  private static long delayNanos(Instant at) {
    Duration delay = Duration.between(Instant.now(), at);
    if (delay.isNegative()) {
      return 0;
    }
    if (delay.getSeconds() >= TimeUnit.NANOSECONDS.toSeconds(MAX_DELAY_NANOS)) {
      return MAX_DELAY_NANOS;
    }
    return delay.toNanos();
  }

  /** The connection closed: the timer goes. */
  void stop() {
    stopped = true;
    if (isScheduled()) {
      connection.loop.cancel(this);
    }
  }
}
