package dev.tether.internal.engine;

import dev.tether.internal.wire.FrameType;
import dev.tether.internal.wire.Frames;

/**
 * The whole frames a connection has queued and not yet wholly written, oldest first, and what its
 * {@link OutboundBuffer} needs to know of them: how many are messages, what their large frames take
 * of the runtime's {@link SendMemory}, and how much of the oldest the socket has taken. A frame
 * leaves only once wholly written, so one cut by a broken socket is written again whole on the next
 * ({@link #restartFrame}).
 *
 * <p>Not thread safe: the buffer's lock guards it. Only the loop moves or drops bytes, so the array
 * read under the lock ({@link #array}) may be copied from after the lock is released: appends add
 * behind, and growing makes a new array.
 */
final class FrameRing {
  /**
   * How far apart {@link #written} may find the checkpoints it starts its walk from. Streaming, the
   * loop writes a few hundred KiB at a time; walking every frame written, to find where the last
   * one ends and count the messages, had half of a sending loop's perf samples (two-JVM one-way
   * {@code bytes}, 64-byte messages, ~3,450 frames a write). From the last checkpoint written it
   * walks at most this much, and one append's frames.
   */
  static final int CHECKPOINT_BYTES = 4 * 1024;

  private static final long[] NO_CHECKPOINTS = new long[0];

  private final ByteRing bytes = new ByteRing();

  /** Bytes of the frame at the head already written to the current socket. */
  private int headWritten;

  /** Message frames (DATA, REQUEST, RESPONSE) held. */
  private int messages;

  /** What the large frames held take of the runtime's send memory ({@link SendMemory#charge}). */
  private long charged;

  /** A large frame came in since the ring was last empty: let the array go once empty again. */
  private boolean shrinkWhenEmpty;

  /**
   * Frame boundaries the ring knows without reading a header ({@link #written}): after an append,
   * every {@link #CHECKPOINT_BYTES} or so, where it stood (bytes appended since the ring was made,
   * in a count that never goes back) and how many messages and how much charge had been appended
   * before. A queue, oldest first, in three parallel arrays used as a circle.
   */
  private long[] checkpointAt = NO_CHECKPOINTS;

  private long[] checkpointMessages = NO_CHECKPOINTS;
  private long[] checkpointCharge = NO_CHECKPOINTS;
  private int firstCheckpoint;
  private int checkpoints;

  /** Where the last checkpoint was set, so that the next is set a stretch later. */
  private long lastCheckpoint;

  /**
   * Bytes, message frames and charge appended since the ring was made (cleared, too); the frame at
   * the head is at {@code appended - bytes.size()} in this count.
   */
  private long appended;

  private long appendedMessages;
  private long appendedCharge;

  /** Returns true if {@code type} is a message frame's: one that is numbered, and replayed. */
  static boolean isMessage(int type) {
    return type == FrameType.DATA || type == FrameType.REQUEST || type == FrameType.RESPONSE;
  }

  /** Returns the bytes held, the part of the oldest frame already written included. */
  int size() {
    return bytes.size();
  }

  /** Returns the bytes still to be written. */
  int unwritten() {
    return bytes.size() - headWritten;
  }

  /** Returns true if the next byte to write begins a frame. */
  boolean atFrameBoundary() {
    return headWritten == 0;
  }

  /**
   * Returns the bytes of the frame at the head still to be written, when part of it has been; see
   * {@link #atFrameBoundary}.
   */
  int headFrameRest() {
    return Frames.HEADER_BYTES - 1 + Rings.readInt(bytes.array(), bytes.head()) - headWritten;
  }

  /** Returns the message frames held. */
  int messages() {
    return messages;
  }

  /** Returns what the large frames held take of the runtime's send memory. */
  long charged() {
    return charged;
  }

  /** Returns the bytes of memory held. */
  int capacity() {
    return bytes.capacity();
  }

  /** Returns the array holding the bytes; see the class comment for when it may be read. */
  byte[] array() {
    return bytes.array();
  }

  /** Returns the index in {@link #array} of the next byte to write. */
  int unwrittenStart() {
    byte[] array = bytes.array();
    return Rings.wrap(array, bytes.head() + headWritten);
  }

  /**
   * Appends the whole frames at {@code frames[offset]}: {@code messages} messages, or, if it is -1,
   * one frame counted as a message if its type is one; {@code charge} is what they take of the send
   * memory, or, for one frame (-1), worked out here. If the ring cannot grow, nothing changes.
   *
   * @return how many message frames were added
   */
  int add(byte[] frames, int offset, int length, int messages, long charge) {
    bytes.ensureRoom(length); // first: if it cannot allocate, nothing has changed
    if (messages < 0) {
      messages = isMessage(frames[offset + Frames.HEADER_BYTES - 1]) ? 1 : 0;
      charge = SendMemory.charge(length);
    }
    charged += charge;
    shrinkWhenEmpty |= charge != 0;
    this.messages += messages;
    bytes.append(frames, offset, length);
    appended += length;
    appendedMessages += messages;
    appendedCharge += charge;
    if (appended - lastCheckpoint >= CHECKPOINT_BYTES) {
      addCheckpoint();
    }
    return messages;
  }

  /** Notes that a frame ends at {@link #appended}, with the counts appended before it. */
  private void addCheckpoint() {
    if (checkpoints == checkpointAt.length) {
      growCheckpoints();
    }
    int i = firstCheckpoint + checkpoints;
    if (i >= checkpointAt.length) {
      i -= checkpointAt.length;
    }
    checkpointAt[i] = appended;
    checkpointMessages[i] = appendedMessages;
    checkpointCharge[i] = appendedCharge;
    checkpoints++;
    lastCheckpoint = appended;
  }

  private void growCheckpoints() {
    int capacity = Math.max(16, 2 * checkpointAt.length);
    long[] at = new long[capacity];
    long[] messageCounts = new long[capacity];
    long[] charges = new long[capacity];
    for (int k = 0; k < checkpoints; k++) {
      int from = (firstCheckpoint + k) % checkpointAt.length;
      at[k] = checkpointAt[from];
      messageCounts[k] = checkpointMessages[from];
      charges[k] = checkpointCharge[from];
    }
    checkpointAt = at;
    checkpointMessages = messageCounts;
    checkpointCharge = charges;
    firstCheckpoint = 0;
  }

  private void dropCheckpoint() {
    checkpoints--;
    firstCheckpoint++;
    if (checkpoints == 0 || firstCheckpoint == checkpointAt.length) {
      firstCheckpoint = 0;
    }
  }

  private void forgetCheckpoints(boolean release) {
    checkpoints = 0;
    firstCheckpoint = 0;
    if (release) {
      checkpointAt = NO_CHECKPOINTS;
      checkpointMessages = NO_CHECKPOINTS;
      checkpointCharge = NO_CHECKPOINTS;
    }
  }

  /**
   * The socket took {@code n} more bytes: frames wholly written leave the ring, their message
   * frames copied to {@code kept} if it is not null.
   *
   * @return how many message frames were wholly written
   */
  int written(int n, ReplayRing kept) {
    long headAt = appended - bytes.size(); // the frame at the head, in appended's count
    long writtenTo = headAt + headWritten + n;
    // Without frames to keep, the walk starts at the last checkpoint the socket has passed, which
    // knows the messages and charge before it; kept frames are copied one by one from the head.
    long from = headAt;
    long messagesBefore = appendedMessages - messages;
    long chargeBefore = appendedCharge - charged;
    while (checkpoints > 0 && checkpointAt[firstCheckpoint] <= writtenTo) {
      if (kept == null) {
        from = checkpointAt[firstCheckpoint];
        messagesBefore = checkpointMessages[firstCheckpoint];
        chargeBefore = checkpointCharge[firstCheckpoint];
      }
      dropCheckpoint();
    }
    int skipped = (int) (from - headAt);
    int skippedMessages = (int) (messagesBefore - (appendedMessages - messages));
    long skippedCharge = chargeBefore - (appendedCharge - charged);
    // walked in locals, stored once, with the lock held
    byte[] r = bytes.array();
    int at = Rings.wrap(r, bytes.head() + skipped);
    int left = bytes.size() - skipped;
    int written = (int) (writtenTo - from);
    int done = 0;
    long freed = 0;
    boolean anyLarge = charged != skippedCharge;
    while (left > 0) {
      int length = Frames.HEADER_BYTES - 1 + Rings.readInt(r, at);
      if (written < length) {
        break;
      }
      if (anyLarge) {
        freed += SendMemory.charge(length); // kept for replay, the replay ring counts it
      }
      if (isMessage(r[Rings.wrap(r, at + Frames.HEADER_BYTES - 1)])) {
        done++;
        if (kept != null) {
          kept.addFromRing(r, at, length);
        }
      }
      at = Rings.wrap(r, at + length);
      left -= length;
      written -= length;
    }
    done += skippedMessages;
    messages -= done;
    charged -= freed + skippedCharge;
    bytes.drop(bytes.size() - left);
    if (left == 0) {
      forgetCheckpoints(false);
      if (shrinkWhenEmpty) {
        bytes.release(); // grown for large frames: not kept for the small ones
        forgetCheckpoints(true);
        shrinkWhenEmpty = false;
      }
    }
    headWritten = written;
    return done;
  }

  /** A new socket: the frame at the head is written again from its start. */
  void restartFrame() {
    headWritten = 0;
  }

  /**
   * Puts {@code frames}, whole frames holding {@code count} messages that take {@code charge} of
   * the send memory, ahead of those held, to be written first and whole.
   */
  void prepend(byte[] frames, int count, long charge) {
    bytes.prepend(frames); // the head moves back in appended's count; the checkpoints stand
    messages += count;
    charged += charge;
    headWritten = 0;
  }

  /** Drops every frame and lets the array go. */
  void clear() {
    bytes.release();
    headWritten = 0;
    messages = 0;
    charged = 0;
    shrinkWhenEmpty = false;
    forgetCheckpoints(true);
  }

  /** Lets the arrays go if the ring holds nothing. */
  void releaseIfEmpty() {
    if (bytes.size() == 0) {
      bytes.release();
      forgetCheckpoints(true);
    }
  }

  /** Returns the length, as its header counts it, of the longest frame held; 0 if none. */
  int largestFrame() {
    int largest = 0;
    byte[] r = bytes.array();
    int at = bytes.head();
    for (int left = bytes.size(); left > 0; ) {
      int length = Rings.readInt(r, at);
      largest = Math.max(largest, length);
      int whole = Frames.HEADER_BYTES - 1 + length;
      at = Rings.wrap(r, at + whole);
      left -= whole;
    }
    return largest;
  }
}
