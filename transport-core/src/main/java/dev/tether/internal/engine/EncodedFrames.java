package dev.tether.internal.engine;

import dev.tether.Connection;
import dev.tether.SendResult;
import dev.tether.codec.Codec;

/**
 * Encode once, send to many: the engine's side of {@link dev.tether.ConnectionGroup#broadcast}. A
 * message is encoded into a DATA frame once per codec, and the same bytes are queued on every
 * connection that uses that codec, each through its own bounded outbound queue and without waiting.
 *
 * <p>Thread safe.
 */
public final class EncodedFrames {
  private EncodedFrames() {}

  /**
   * Returns what a DATA frame's bytes depend on for {@code connection} (its codec instance), so
   * that connections with equal keys can share one encoding; null if the connection is not the
   * engine's own or has no codec yet, in which case use its {@link Connection#trySend}.
   */
  public static Object encodingKey(Connection<?, ?> connection) {
    if (connection instanceof RealConnection<?, ?> real) {
      Encoding encoding = real.outbound.encoding();
      return encoding == null ? null : encoding.codec();
    }
    return null;
  }

  /**
   * Encodes {@code message} as a DATA frame with the codec {@code key} (an {@link #encodingKey}),
   * for {@code connection} and every connection with the same key.
   *
   * @throws IllegalArgumentException if the message's class is not registered
   * @throws dev.tether.codec.CodecException if the codec cannot encode it
   */
  public static byte[] encode(Connection<?, ?> connection, Object key, Object message) {
    return ((RealConnection<?, ?>) connection).sender.encodeData(message, (Codec) key);
  }

  /**
   * Queues a frame made by {@link #encode} with {@code key} on {@code connection} without waiting.
   *
   * @return as {@link Connection#trySend}, or null if the connection no longer encodes with {@code
   *     key} (a reconnecting client's new server chose another codec): nothing was queued, and the
   *     caller sends the message with {@link Connection#trySend}
   * @throws dev.tether.MessageTooLargeException if the frame exceeds the peer's limit
   */
  public static SendResult trySend(Connection<?, ?> connection, Object key, byte[] frame) {
    return ((RealConnection<?, ?>) connection).sender.trySendFrame(frame, (Codec) key);
  }
}
