package dev.tether;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one {@link ConnectionGroup#broadcast} did for each member: whether the message was queued
 * for it ({@link SendResult#ACCEPTED}), refused because its outbound queue was full ({@link
 * SendResult#BACK_PRESSURED}: that peer, or the route to it, is slower than the sender) or because
 * it was closing ({@link SendResult#CLOSED}), or could not be sent to it at all ({@link #failed()}:
 * the message did not encode with its codec, or exceeds its frame limit).
 *
 * <p>What to do with a back-pressured member is the caller's choice: drop the message for it (a
 * chat or a metrics feed), send it later with {@link Connection#sendAsync}, or close a member that
 * stays behind. Immutable.
 */
public final class BroadcastResult<O, I> {
  private final List<Connection<O, I>> accepted;
  private final List<Connection<O, I>> backPressured;
  private final List<Connection<O, I>> closed;
  private final Map<Connection<O, I>, RuntimeException> failed;
  private final int encodings;

  BroadcastResult(
      List<Connection<O, I>> accepted,
      List<Connection<O, I>> backPressured,
      List<Connection<O, I>> closed,
      Map<Connection<O, I>, RuntimeException> failed,
      int encodings) {
    this.accepted = Collections.unmodifiableList(accepted);
    this.backPressured = Collections.unmodifiableList(backPressured);
    this.closed = Collections.unmodifiableList(closed);
    this.failed = Collections.unmodifiableMap(failed);
    this.encodings = encodings;
  }

  /** Returns the members the message was queued for, in the order they were tried. */
  public List<Connection<O, I>> accepted() {
    return accepted;
  }

  /** Returns the members whose outbound queue was full: the message was not queued for them. */
  public List<Connection<O, I>> backPressured() {
    return backPressured;
  }

  /** Returns the members that were closing or closed: the message will never reach them. */
  public List<Connection<O, I>> closed() {
    return closed;
  }

  /**
   * Returns the members the message could not be sent to, with the reason: a {@link
   * dev.tether.codec.CodecException} (their codec cannot encode it), a {@link
   * MessageTooLargeException} (it exceeds their peer's frame limit) or an {@link
   * IllegalArgumentException} (its class is not registered for them).
   */
  public Map<Connection<O, I>, RuntimeException> failed() {
    return failed;
  }

  /** Returns true if the message was queued for every member. */
  public boolean allAccepted() {
    return backPressured.isEmpty() && closed.isEmpty() && failed.isEmpty();
  }

  /** Returns how many members were tried. */
  public int members() {
    return accepted.size() + backPressured.size() + closed.size() + failed.size();
  }

  /**
   * Returns how many times the message was encoded: once per codec among the members (members of
   * different servers or registries count apart), however many members share it.
   */
  public int encodings() {
    return encodings;
  }

  @Override
  public String toString() {
    StringBuilder s =
        new StringBuilder("broadcast to ")
            .append(members())
            .append(" members: ")
            .append(accepted.size())
            .append(" accepted");
    appendPeers(s, "back-pressured", backPressured);
    appendPeers(s, "closed", closed);
    appendPeers(s, "failed", new ArrayList<>(failed.keySet()));
    return s.append(", ").append(encodings).append(" encodings").toString();
  }

  private static void appendPeers(
      StringBuilder s, String what, List<? extends Connection<?, ?>> cs) {
    if (cs.isEmpty()) {
      return;
    }
    s.append(", ").append(cs.size()).append(' ').append(what).append(" (");
    for (int i = 0; i < cs.size(); i++) {
      PeerInfo peer = cs.get(i).peer();
      s.append(i == 0 ? "" : ", ").append(peer == null ? cs.get(i) : peer.address());
    }
    s.append(')');
  }

  /** Collects the outcome per member; not thread safe. */
  static final class Builder<O, I> {
    private final List<Connection<O, I>> accepted = new ArrayList<>();
    private final List<Connection<O, I>> backPressured = new ArrayList<>();
    private final List<Connection<O, I>> closed = new ArrayList<>();
    private final Map<Connection<O, I>, RuntimeException> failed = new LinkedHashMap<>();
    private int encodings;

    void add(Connection<O, I> member, SendResult result) {
      switch (result) {
        case ACCEPTED -> accepted.add(member);
        case BACK_PRESSURED -> backPressured.add(member);
        case CLOSED -> closed.add(member);
      }
    }

    void fail(Connection<O, I> member, RuntimeException cause) {
      failed.put(member, cause);
    }

    void encoded() {
      encodings++;
    }

    BroadcastResult<O, I> build() {
      return new BroadcastResult<>(accepted, backPressured, closed, failed, encodings);
    }
  }
}
