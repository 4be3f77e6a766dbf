package dev.tether;

import java.net.SocketAddress;
import java.util.Optional;

/**
 * Tells a {@link PeerPool} where a node can be reached: the pool's link to the cluster's
 * membership. Plug in whatever knows it — a static map ({@link PeerAddresses}), DNS names (an
 * unresolved {@link java.net.InetSocketAddress}, looked up at each connect), or your own membership
 * source (ZooKeeper, etcd, Consul, a Raft configuration) behind this interface.
 */
@FunctionalInterface
public interface PeerResolver {
  /**
   * Returns the address of node {@code nodeId} now, or empty if this resolver does not know the
   * node. Called before every connect to the node — the first, and each reconnect — so a node that
   * moved is found at its new address from the next connect on. Called on the runtime's handler
   * executor, never on an event loop, so it may block briefly (a lookup in a membership service);
   * an exception fails that connect attempt, and counts as a failed attempt for the pool's backoff.
   *
   * @return a {@link java.net.InetSocketAddress} (an unresolved one is looked up in DNS at each
   *     connect, subject to the JVM's DNS cache, {@code networkaddress.cache.ttl}) or a {@link
   *     java.net.UnixDomainSocketAddress}
   */
  Optional<SocketAddress> resolve(long nodeId) throws Exception;
}
