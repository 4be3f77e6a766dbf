package dev.tether;

import dev.tether.internal.engine.EncodedFrames;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;

/**
 * A set of connections that a message can be broadcast to: the members of a chat room, the replicas
 * a primary streams to, the subscribers of a feed. A connection leaves the group by itself when it
 * closes, as in Netty's {@code ChannelGroup}.
 *
 * <pre>{@code
 * ConnectionGroup<Chat, Chat> room = new ConnectionGroup<>();
 * Tether.<Chat, Chat>server(types)
 *     .onConnection(room::add)
 *     .onMessage((from, line) -> room.broadcast(line))
 *     .bind(address);
 * }</pre>
 *
 * <p>A broadcast encodes the message once per codec among the members, not once per member, and
 * queues a copy of those bytes on each without ever blocking: a member whose outbound queue is full
 * (a slow reader) is skipped and reported in the {@link BroadcastResult}, so one slow member cannot
 * stall the others or the caller. Each member's own {@link TetherConfig#maxQueuedOutboundBytes()}
 * bounds what it holds, so members that all stop reading hold up to that bound each: size it, and
 * the heap, for the number of members.
 *
 * <p>Thread safe; membership changes are cheap to read and costlier to write (a copy-on-write set),
 * which suits groups that are broadcast to far more often than they change.
 */
public final class ConnectionGroup<O, I> implements Iterable<Connection<O, I>> {
  private final CopyOnWriteArraySet<Connection<O, I>> members = new CopyOnWriteArraySet<>();

  /**
   * The connections this group listens to the close of: each at most once while it is open, however
   * often it joins and leaves, since a listener cannot be taken back off its close stage.
   */
  private final Set<Connection<O, I>> watched = ConcurrentHashMap.newKeySet();

  /** Creates an empty group. */
  public ConnectionGroup() {}

  /**
   * Adds a connection; it is removed by itself once it has closed. A connection may join and leave
   * as often as it likes: the group keeps one close listener on it while it is open, not one per
   * join, so a removed connection is referenced by the group until it closes.
   *
   * @return true if it was not a member yet
   */
  public boolean add(Connection<O, I> connection) {
    Objects.requireNonNull(connection, "connection");
    if (!members.add(connection)) {
      return false;
    }
    if (watched.add(connection)) {
      connection
          .onClose()
          .whenComplete(
              (cause, failure) -> {
                watched.remove(connection); // first: a join racing with this then watches anew
                members.remove(connection);
              });
    }
    return true;
  }

  /** Removes a connection without closing it; returns true if it was a member. */
  public boolean remove(Connection<O, I> connection) {
    return members.remove(connection);
  }

  /** Returns the members now, in the order they were added. */
  public List<Connection<O, I>> members() {
    return List.copyOf(members);
  }

  /** Returns the number of members. */
  public int size() {
    return members.size();
  }

  @Override
  public Iterator<Connection<O, I>> iterator() {
    return members.iterator();
  }

  /**
   * Queues {@code message} for every member without ever blocking; see {@link
   * #broadcast(Collection, Object)}.
   */
  public BroadcastResult<O, I> broadcast(O message) {
    return broadcast(members, message);
  }

  /**
   * Queues {@code message} for every connection of {@code connections} without ever blocking, as
   * {@link Connection#trySend} would, but encoding it only once per codec among them. Never throws
   * for one member's sake: a member the message cannot be sent to is reported in {@link
   * BroadcastResult#failed()}.
   *
   * @return the outcome for each member: accepted, back-pressured (its queue is full; nothing was
   *     queued for it), closed, or failed
   */
  public static <O, I> BroadcastResult<O, I> broadcast(
      Collection<? extends Connection<O, I>> connections, O message) {
    Objects.requireNonNull(message, "message");
    BroadcastResult.Builder<O, I> result = new BroadcastResult.Builder<>();
    Map<Object, byte[]> frames = new HashMap<>();
    Map<Object, RuntimeException> unencodable = new HashMap<>();
    for (Connection<O, I> member : connections) {
      Object key = EncodedFrames.encodingKey(member);
      try {
        if (key == null) {
          result.add(member, member.trySend(message)); // not the engine's own: no shared bytes
          continue;
        }
        RuntimeException failure = unencodable.get(key);
        if (failure != null) {
          result.fail(member, failure);
          continue;
        }
        byte[] frame = frames.get(key);
        if (frame == null) {
          try {
            frame = EncodedFrames.encode(member, key, message);
          } catch (RuntimeException | Error e) {
            RuntimeException cause = failure(message, e);
            unencodable.put(key, cause);
            throw cause;
          }
          frames.put(key, frame);
          result.encoded();
        }
        SendResult sent = EncodedFrames.trySend(member, key, frame);
        // null: the member changed codec since its key was read (a reconnect); it encodes for
        // itself
        result.add(member, sent != null ? sent : member.trySend(message));
      } catch (RuntimeException | Error e) {
        result.fail(member, failure(message, e));
      }
    }
    return result.build();
  }

  /**
   * The failure reported for a member: a codec's {@link Error} (a bug in it, a class missing at run
   * time) is wrapped, so that it is reported like any other and the broadcast goes on.
   */
  private static RuntimeException failure(Object message, Throwable t) {
    return t instanceof RuntimeException e
        ? e
        : new TetherException("cannot send " + message.getClass().getName() + ": " + t, t);
  }
}
