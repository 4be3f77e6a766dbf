package dev.tether.bench.twojvm;

import dev.tether.bench.support.BenchMessages.Payload;
import dev.tether.bench.support.Payloads;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.LongFunction;

/**
 * The two-JVM benchmarks' messages: 64 bytes of payload that start with a sequence number. For a
 * codec, a {@link Payload} (the number and a body, about 64 bytes together, as {@link
 * Payloads#message}); for {@code bytes}, a 64-byte array whose first 8 bytes are the number; for
 * raw sockets, a frame of a 4-byte length (64) and those 64 bytes.
 */
public final class Sequenced {
  private Sequenced() {}

  /** The payload size of every message, before framing. */
  public static final int PAYLOAD_BYTES = 64;

  /** A raw frame: the 4-byte length prefix and the payload, the number first. */
  public static final int RAW_FRAME_BYTES = 4 + PAYLOAD_BYTES;

  private static final VarHandle LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  // shared by every Payload: a message is immutable once built, and the body's contents don't
  // matter
  private static final byte[] BODY =
      ((Payload) Payloads.message("json", PAYLOAD_BYTES)).body().clone();

  /**
   * Returns what makes {@code codec}'s messages from their numbers, for a load generator: it looks
   * at the codec's name once, not for every message (comparing the name cost the streaming {@code
   * bytes} sender a tenth of its time).
   */
  public static LongFunction<Object> messages(String codec) {
    if (codec.equals("bytes")) {
      return Sequenced::bytes;
    }
    return seq -> new Payload(seq, BODY);
  }

  private static byte[] bytes(long seq) {
    byte[] bytes = new byte[PAYLOAD_BYTES];
    LONG.set(bytes, 0, seq);
    return bytes;
  }

  /**
   * Returns the number that {@code message} carries.
   *
   * @throws IllegalArgumentException if it is not one of this class's messages
   */
  public static long seq(Object message) {
    if (message instanceof Payload p) {
      return p.seq();
    }
    if (message instanceof byte[] bytes && bytes.length >= 8) {
      return (long) LONG.get(bytes, 0);
    }
    throw new IllegalArgumentException("not a sequenced message: " + message);
  }

  /** Fills {@code frames} from its position to its limit with raw frames; number them with put. */
  public static void formatRawFrames(ByteBuffer frames) {
    for (int at = frames.position();
        at + RAW_FRAME_BYTES <= frames.limit();
        at += RAW_FRAME_BYTES) {
      frames.putInt(at, PAYLOAD_BYTES);
    }
  }

  /** Writes {@code seq} into the raw frame that starts at {@code frameStart}. */
  public static void putRawSeq(ByteBuffer frames, int frameStart, long seq) {
    frames.putLong(frameStart + 4, seq);
  }

  /** Reads the number of the raw frame that starts at {@code frameStart}. */
  public static long rawSeq(ByteBuffer frames, int frameStart) {
    return frames.getLong(frameStart + 4);
  }

  /**
   * Returns the length prefix of the raw frame at {@code frameStart}.
   *
   * @throws IllegalStateException if it is not {@link #PAYLOAD_BYTES}: the stream is out of step
   */
  public static int checkRawLength(ByteBuffer frames, int frameStart) {
    int length = frames.getInt(frameStart);
    if (length != PAYLOAD_BYTES) {
      throw new IllegalStateException(
          "raw frame length " + length + " at a frame boundary, expected " + PAYLOAD_BYTES);
    }
    return length;
  }
}
