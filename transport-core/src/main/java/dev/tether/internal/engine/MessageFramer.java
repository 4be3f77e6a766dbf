package dev.tether.internal.engine;

import dev.tether.MessageTooLargeException;
import dev.tether.MessageTypes;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.codec.EncodeBuffer;
import dev.tether.internal.wire.FrameType;
import dev.tether.internal.wire.Frames;
import dev.tether.internal.wire.Varint;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Encodes a message into a whole DATA, REQUEST or RESPONSE frame on the sender's thread, into a
 * buffer that stays with the thread, so that the steady path allocates nothing beyond what the
 * codec needs.
 *
 * <pre>
 * DATA      | length u32 | 0x03 |                        varint typeId | payload |
 * REQUEST   | length u32 | 0x04 | requestId u64 |        varint typeId | payload |
 * RESPONSE  | length u32 | 0x05 | requestId u64 | 0x00 | varint typeId | payload |
 * </pre>
 */
final class MessageFramer {
  /** Encode buffers up to this size stay with their thread; larger ones are dropped after use. */
  private static final int RETAINED_ENCODE_BYTES = 1024 * 1024;

  private static final ThreadLocal<MessageFramer> PER_THREAD =
      ThreadLocal.withInitial(MessageFramer::new);

  /** A second framer per thread, so that a send made while a batch is framed cannot clear it. */
  private static final ThreadLocal<MessageFramer> PER_THREAD_BATCH =
      ThreadLocal.withInitial(MessageFramer::new);

  private final EncodeBuffer buffer = new EncodeBuffer(4096);
  private ByteBuffer view = ByteBuffer.allocate(0);

  /**
   * The registry and entry of the last message framed in this run: a batch holds the same type
   * again and again, and comparing two references costs less than the registry's map lookup, which
   * stood out in profiles of {@code sendAll} with small messages. Registries never change once
   * built, so a remembered entry stays right. Forgotten by {@link #clear} and after {@link #frame},
   * so that a thread's framer never keeps a registry, and with it the application's classes, loaded
   * after the thread has stopped sending (a redeployed application's, say).
   */
  private MessageTypes lastTypes;

  private MessageTypes.Entry lastEntry;

  /** The messages of the frames appended since {@link #clear}, for {@link #reframe}. */
  private Object[] messages = new Object[16];

  private int frames;

  /** Messages stored into {@link #messages} since it was last replaced ({@link YoungArrays}). */
  private int storedSinceRenewal;

  /** The most frames a run held since {@link #messages} was last replaced: the new one's size. */
  private int mostFrames;

  private MessageFramer() {}

  /** Returns this thread's framer; what it returns is valid until the thread frames again. */
  static MessageFramer get() {
    return PER_THREAD.get();
  }

  /**
   * Encodes {@code message} as a frame of {@code type}.
   *
   * @return the frame, from 0 to {@link #length()} of {@link #array()}
   * @throws IllegalArgumentException if the message's class is not registered
   * @throws CodecException if the codec cannot encode it
   * @throws MessageTooLargeException if the frame would exceed the peer's limit
   */
  MessageFramer frame(
      int type,
      long requestId,
      Object message,
      MessageTypes types,
      Encoding encoding,
      String peerName) {
    buffer.reset(RETAINED_ENCODE_BYTES);
    try {
      write(type, requestId, message, types, encoding, peerName);
    } finally {
      forgetType();
    }
    return this;
  }

  /** Returns this thread's framer for runs of frames ({@link #append}), apart from {@link #get}. */
  static MessageFramer batch() {
    return PER_THREAD_BATCH.get();
  }

  /** Drops the frames appended so far: the next {@link #append} starts a new run. */
  void clear() {
    buffer.reset(RETAINED_ENCODE_BYTES);
    forgetType();
    forgetMessages();
  }

  /** Returns how many frames were appended since {@link #clear}. */
  int frames() {
    return frames;
  }

  /**
   * Makes the frames appended since {@link #clear} again, with {@code encoding}: a run made with an
   * encoding the session no longer uses ({@link OutboundBuffer#STALE}). DATA frames only. If one
   * fails, those before it stay made, as with {@link #append}.
   */
  void reframe(MessageTypes types, Encoding encoding, String peerName) {
    int n = frames;
    buffer.reset(RETAINED_ENCODE_BYTES);
    forgetType();
    frames = 0;
    for (int i = 0; i < n; i++) {
      Object message = messages[i];
      messages[i] = null;
      append(FrameType.DATA, 0, message, types, encoding, peerName);
    }
  }

  private void forgetType() {
    lastTypes = null;
    lastEntry = null;
  }

  private void forgetMessages() {
    storedSinceRenewal += frames;
    mostFrames = Math.max(mostFrames, frames);
    if (storedSinceRenewal >= YoungArrays.RENEW_STORES) {
      // sized for the runs made lately: one long run long ago does not hold memory for good
      messages = new Object[Math.max(16, mostFrames)];
      storedSinceRenewal = 0;
      mostFrames = 0;
    } else {
      Arrays.fill(messages, 0, frames, null);
    }
    frames = 0;
  }

  /**
   * Encodes {@code message} as a frame of {@code type} behind the frames already here, and keeps
   * the message until {@link #clear}, for {@link #reframe}. If it throws, the earlier frames are
   * left as they were.
   *
   * @throws IllegalArgumentException if the message's class is not registered
   * @throws CodecException if the codec cannot encode it
   * @throws MessageTooLargeException if the frame would exceed the peer's limit
   */
  void append(
      int type,
      long requestId,
      Object message,
      MessageTypes types,
      Encoding encoding,
      String peerName) {
    write(type, requestId, message, types, encoding, peerName);
    if (frames == messages.length) {
      messages = Arrays.copyOf(messages, frames * 2);
    }
    messages[frames++] = message;
  }

  /** Encodes {@code message} as a frame behind those already here; see {@link #append}. */
  private void write(
      int type,
      long requestId,
      Object message,
      MessageTypes types,
      Encoding encoding,
      String peerName) {
    Codec codec = encoding.codec();
    int peerMaxFrameBytes = encoding.peerMaxFrameBytes();
    MessageTypes.Entry entry = lastEntry;
    if (types != lastTypes || entry.type() != message.getClass()) {
      entry = types.entryFor(message.getClass());
      if (entry == null) {
        throw new IllegalArgumentException(
            message.getClass().getName() + " is not registered in " + types);
      }
      lastTypes = types;
      lastEntry = entry;
    }
    int start = buffer.position();
    int header =
        Frames.HEADER_BYTES
            + (type == FrameType.DATA ? 0 : 8)
            + (type == FrameType.RESPONSE ? 1 : 0)
            + Varint.size(entry.id());
    buffer.ensureWritable(header);
    buffer.position(start + header);
    try {
      codec.encode(message, buffer);
    } catch (CodecException e) {
      buffer.position(start);
      throw e;
    } catch (RuntimeException | StackOverflowError e) {
      buffer.position(start);
      throw new CodecException(
          "codec " + codec.name() + " failed to encode " + entry.name() + ": " + e, e);
    } catch (Error e) { // passed on as it is, but without the part of the frame it left behind
      buffer.position(start);
      throw e;
    }
    long frameLength = (long) buffer.position() - start - 4;
    if (frameLength > peerMaxFrameBytes) {
      buffer.position(start);
      throw new MessageTooLargeException(
          entry.name()
              + " encodes to a frame of "
              + frameLength
              + " bytes, but "
              + peerName
              + " accepts at most "
              + peerMaxFrameBytes
              + " (its maxFrameBytes); the message was not sent and the connection stays up");
    }
    byte[] bytes = buffer.array();
    Frames.writeHeader(bytes, start, (int) frameLength, type);
    int position = start + Frames.HEADER_BYTES;
    if (type != FrameType.DATA) {
      Frames.writeLong(bytes, position, requestId);
      position += 8;
    }
    if (type == FrameType.RESPONSE) {
      bytes[position++] = 0; // status OK
    }
    Varint.write(bytes, position, entry.id());
  }

  byte[] array() {
    return buffer.array();
  }

  int length() {
    return buffer.position();
  }

  /**
   * Gives back an encode buffer grown past what a thread keeps, once its frame has been queued or
   * written: a thread that sent one large message and then nothing would otherwise hold it.
   */
  void release() {
    buffer.reset(RETAINED_ENCODE_BYTES);
  }

  /**
   * Returns what the frames made since the last {@link #frame} or {@link #clear} take of the
   * runtime's {@link SendMemory}: worked out on demand, walking the frames only if they could hold
   * a large one, so that framing a small message costs nothing more.
   */
  long charge() {
    int length = buffer.position();
    if (SendMemory.charge(length) == 0) {
      return 0; // no frame in it can be large
    }
    byte[] frames = buffer.array();
    long sum = 0;
    for (int at = 0; at < length; ) {
      int whole = Frames.HEADER_BYTES - 1 + Rings.readInt(frames, at);
      sum += SendMemory.charge(whole);
      at += whole;
    }
    return sum;
  }

  /** Returns the frame as a buffer over the same bytes, reused while the array stays the same. */
  ByteBuffer asBuffer() {
    if (view.array() != buffer.array()) {
      view = ByteBuffer.wrap(buffer.array());
    }
    view.limit(buffer.position()).position(0);
    return view;
  }
}
