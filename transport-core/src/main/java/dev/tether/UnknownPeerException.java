package dev.tether;

/**
 * A {@link PeerPool} was asked for a node its {@link PeerResolver} does not know. Register the
 * node's address with the resolver; the pool asks it again on the next use.
 */
public class UnknownPeerException extends TetherException {
  private static final long serialVersionUID = 1L;

  private final long nodeId;

  /** Creates the exception for {@code nodeId}, with a message naming it and the resolver. */
  public UnknownPeerException(long nodeId, String message) {
    super(message);
    this.nodeId = nodeId;
  }

  /** Returns the node id no address was found for. */
  public long nodeId() {
    return nodeId;
  }
}
