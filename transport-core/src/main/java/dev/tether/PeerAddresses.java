package dev.tether;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link PeerResolver} that is a map from node id to address, changed at run time as nodes come,
 * go and move. A {@link PeerPool} reads it before each connect, so a node registered again at a new
 * address is reached there from its next connect on; its current connection, if open, is left
 * alone.
 *
 * <pre>{@code
 * PeerAddresses peers = new PeerAddresses()
 *     .put(1, new InetSocketAddress("10.0.0.1", 7000))
 *     .putHost(2, "node-2.cluster.local", 7000);   // looked up in DNS at each connect
 * }</pre>
 *
 * <p>Thread safe.
 */
public final class PeerAddresses implements PeerResolver {
  private final Map<Long, SocketAddress> addresses = new ConcurrentHashMap<>();

  /** Creates an empty map. */
  public PeerAddresses() {}

  /**
   * Returns a map holding {@code addresses}.
   *
   * @throws IllegalArgumentException if a node id is 0
   */
  public static PeerAddresses of(Map<Long, ? extends SocketAddress> addresses) {
    PeerAddresses peers = new PeerAddresses();
    addresses.forEach(peers::put);
    return peers;
  }

  /**
   * Sets where node {@code nodeId} is, replacing what was there; used from the node's next connect.
   *
   * @param address an {@link InetSocketAddress} (an unresolved one is looked up at each connect) or
   *     a {@link java.net.UnixDomainSocketAddress}
   * @throws IllegalArgumentException if {@code nodeId} is 0, the id of anonymous peers
   */
  public PeerAddresses put(long nodeId, SocketAddress address) {
    Objects.requireNonNull(address, "address");
    if (nodeId == 0) {
      throw new IllegalArgumentException("node id 0 is anonymous; give every peer its own id");
    }
    addresses.put(nodeId, address);
    return this;
  }

  /**
   * Sets node {@code nodeId} to a host name that is looked up in DNS at each connect (subject to
   * the JVM's DNS cache), so a node whose name moves to a new IP address is found there on
   * reconnect.
   *
   * @throws IllegalArgumentException if {@code nodeId} is 0 or the port is out of range
   */
  public PeerAddresses putHost(long nodeId, String host, int port) {
    return put(nodeId, InetSocketAddress.createUnresolved(host, port));
  }

  /** Forgets node {@code nodeId}; returns true if it was known. */
  public boolean remove(long nodeId) {
    return addresses.remove(nodeId) != null;
  }

  /** Returns the known node ids, in ascending order. */
  public Set<Long> nodeIds() {
    return new TreeSet<>(addresses.keySet());
  }

  @Override
  public Optional<SocketAddress> resolve(long nodeId) {
    return Optional.ofNullable(addresses.get(nodeId));
  }

  @Override
  public String toString() {
    return "PeerAddresses" + new TreeMap<>(addresses);
  }
}
