package dev.tether.codec.fury;

import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.codec.EncodeBuffer;
import java.nio.ByteBuffer;
import org.apache.fory.ThreadSafeFory;
import org.apache.fory.memory.MemoryBuffer;
import org.apache.fory.memory.MemoryUtils;

/**
 * The {@code fury} codec: Fory with the settings and registrations of {@link FuryRegistrations}.
 * Encodes straight into the caller's {@link EncodeBuffer} and decodes in place from a heap or
 * direct buffer, without copying the payload either way.
 *
 * <p>A payload is what {@code Fory.serialize} writes: a 1-byte header (Java mode, no out-of-band
 * buffers), the root's not-null flag and registered id (2 to 6 bytes), then the fields. The root id
 * repeats the frame's type id; decoding checks that the payload holds exactly the class the frame
 * names, that it is consumed to the last byte, and that every string in it is one this JVM could
 * have made ({@link StringCheck}).
 *
 * <p>Every failure, whatever Fory or the message's own constructor throws, reaches the caller as a
 * {@link CodecException} whose message names the codec, the class and the cause; that includes a
 * {@link StackOverflowError} from encoding a cyclic or absurdly deep object and an {@link
 * OutOfMemoryError}.
 *
 * <p>This class is thread safe. Fory instances are not, so each call borrows one from a pool of
 * {@link FuryRegistrations#POOL_SIZE}, one pool for encoding and one for decoding (which reads
 * strings more strictly: {@link FuryRegistrations#newThreadSafeFory}); a caller waits only while
 * every one of them is in use.
 */
final class FuryCodec implements Codec {
  /**
   * Bytes made writable in the {@link EncodeBuffer} before Fory writes into its array. Most
   * messages fit, so Fory writes in place; a larger one makes Fory grow a copy of the array, whose
   * new bytes are then copied back once. Tether reuses each thread's buffer, so after one large
   * message the array is large enough for the next.
   */
  private static final int ENCODE_HEADROOM = 256;

  private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

  /**
   * Each thread's two Fory buffers, pointed at the bytes of each encode and decode in turn, and at
   * none between calls: a buffer made per call (with its bound checker, 72 bytes) was 144 of the
   * 232 bytes a one-way {@code fury} message of the bench allocated, both ends; now it allocates
   * only the decoded message. A call inside a call on the same thread (a record's constructor that
   * decodes) gets a buffer of its own, as does a direct or read-only payload.
   */
  private static final class Buffers {
    private static final byte[] NONE = new byte[0];
    private MemoryBuffer encode = MemoryBuffer.fromByteArray(NONE);
    private MemoryBuffer decode = MemoryBuffer.fromByteArray(NONE);

    MemoryBuffer encoding(byte[] array) {
      MemoryBuffer buffer = encode;
      if (buffer == null) {
        return MemoryBuffer.fromByteArray(array, 0, array.length);
      }
      encode = null;
      buffer.initHeapBuffer(array, 0, array.length);
      buffer.readerIndex(0); // the caller sets the writer index
      return buffer;
    }

    void encoded(MemoryBuffer buffer) {
      buffer.initHeapBuffer(NONE, 0, 0); // keeps no message's bytes
      encode = buffer;
    }

    MemoryBuffer decoding(ByteBuffer payload) {
      MemoryBuffer buffer = decode;
      if (buffer == null || !payload.hasArray()) {
        return MemoryUtils.wrap(payload);
      }
      decode = null;
      buffer.initHeapBuffer(
          payload.array(), payload.arrayOffset() + payload.position(), payload.remaining());
      buffer.readerIndex(0);
      buffer.writerIndex(0); // as a buffer made for the payload starts
      return buffer;
    }

    void decoded(MemoryBuffer buffer) {
      if (buffer.getHeapMemory() != null) {
        buffer.initHeapBuffer(NONE, 0, 0);
        decode = buffer;
      }
    }
  }

  private final FuryRegistrations registrations;
  private final ThreadSafeFory encoder;
  private final ThreadSafeFory decoder;
  private final DepthProbe depth;
  private final StringCheck strings = new StringCheck();

  FuryCodec(FuryRegistrations registrations) {
    this.registrations = registrations;
    this.encoder = registrations.newThreadSafeFory(false);
    this.decoder = registrations.newThreadSafeFory(true);
    this.depth = new DepthProbe(registrations.limits().maxDepth());
  }

  @Override
  public String name() {
    return FuryCodecProvider.NAME;
  }

  /** Returns the registrations this codec was built with. */
  FuryRegistrations registrations() {
    return registrations;
  }

  /**
   * {@inheritDoc}
   *
   * <p>On failure the buffer's position is where it was before the call: nothing partial stays in
   * it.
   */
  @Override
  public void encode(Object message, EncodeBuffer out) {
    if (message == null) {
      throw new CodecException(
          FuryCodecProvider.NAME + " codec cannot encode null: a message must be an object");
    }
    int start = out.position();
    try {
      depth.check(message); // Fory checks depth only on read
      out.ensureWritable(ENCODE_HEADROOM);
      byte[] array = out.array();
      Buffers buffers = BUFFERS.get();
      MemoryBuffer buffer = buffers.encoding(array);
      buffer.writerIndex(start);
      try {
        encoder.serialize(buffer, message);
        int end = buffer.writerIndex();
        if (buffer.getHeapMemory() != array) {
          // Fory outgrew the array and wrote into a larger copy of it: bring the new bytes back.
          out.ensureWritable(end - start);
          buffer.get(start, out.array(), start, end - start);
        }
        out.position(end);
      } finally {
        buffers.encoded(buffer);
      }
    } catch (RuntimeException | Error e) {
      rethrowIfFatal(e);
      out.position(start);
      throw new CodecException(
          FuryCodecProvider.NAME
              + " codec cannot encode "
              + message.getClass().getName()
              + ": "
              + FuryFailures.encodeReason(e, registrations.limits()),
          e);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>A heap or direct buffer is read in place; only a read-only heap buffer, which hides its
   * array, is copied first. The buffer's position and limit are not changed.
   */
  @Override
  public <T> T decode(Class<T> type, ByteBuffer payload) {
    int length = payload.remaining();
    Object message;
    int consumed;
    try {
      Buffers buffers = BUFFERS.get();
      MemoryBuffer buffer = buffers.decoding(payload);
      try {
        message = decoder.deserialize(buffer, type);
        consumed = buffer.readerIndex();
      } finally {
        buffers.decoded(buffer);
      }
    } catch (RuntimeException | Error e) {
      rethrowIfFatal(e);
      throw failure(type, length, FuryFailures.decodeReason(e, registrations.limits()), e);
    }
    if (message == null) {
      throw failure(type, length, "the payload is null", null);
    }
    if (message.getClass() != type) {
      throw failure(
          type, length, "the payload holds a " + message.getClass().getName() + " instead", null);
    }
    if (consumed != length) {
      throw failure(
          type,
          length,
          (length - consumed) + " trailing bytes after the message, which ends at byte " + consumed,
          null);
    }
    String unsound;
    try {
      unsound = strings.check(message);
    } catch (RuntimeException | Error e) {
      rethrowIfFatal(e); // a record's own accessor, say, threw
      throw failure(type, length, "reading its strings failed: " + e, e);
    }
    if (unsound != null) {
      throw failure(type, length, unsound, null);
    }
    return type.cast(message);
  }

  /**
   * Lets the JVM's own failures through; a codec has no business hiding an {@link InternalError}.
   */
  private static void rethrowIfFatal(Throwable e) {
    if (e instanceof VirtualMachineError
        && !(e instanceof StackOverflowError)
        && !(e instanceof OutOfMemoryError)) {
      throw (VirtualMachineError) e;
    }
  }

  private static CodecException failure(Class<?> type, int length, String reason, Throwable cause) {
    String message =
        FuryCodecProvider.NAME
            + " codec cannot decode "
            + length
            + " bytes as "
            + type.getName()
            + ": "
            + reason;
    return cause == null ? new CodecException(message) : new CodecException(message, cause);
  }

  @Override
  public String toString() {
    return "FuryCodec[" + registrations.entries().size() + " registrations]";
  }
}
