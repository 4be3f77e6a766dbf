package dev.tether.internal.cluster;

import dev.tether.Connection;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * What a {@link RealPeerPool} needs of the connection to one peer: the open connection, made when
 * needed. {@link OnDemandLink} connects on use, with a retry delay; a client that reconnects by
 * itself and resumes its session can stand behind this interface as well, without the pool
 * changing.
 *
 * <p>Implementations are thread safe.
 */
interface PeerLink<O, I> {
  /**
   * Returns the open connection to the peer, connecting first if there is none. Concurrent calls
   * share one connect. Each call gets a future of its own, so cancelling it affects no one else.
   */
  CompletableFuture<Connection<O, I>> connection();

  /** Returns the connection if it is open now; never connects. */
  Optional<Connection<O, I>> ifOpen();

  /**
   * Closes the connection gracefully, if any, and refuses later use; the stage completes once it
   * has closed. Idempotent.
   */
  CompletionStage<Void> close();

  /**
   * Returns true on a thread that runs this link's resolver now: a close there must not wait for
   * the connect, which waits for the resolver to return.
   */
  default boolean resolvesOnThisThread() {
    return false;
  }
}
