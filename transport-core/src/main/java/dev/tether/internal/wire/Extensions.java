package dev.tether.internal.wire;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The {@code extensions} field of HELLO and WELCOME (PROTOCOL.md §5): a sequence of entries, each a
 * kind, a length and that many bytes. A receiver skips kinds it does not know. A field that is not
 * a well-formed sequence (a peer that uses the field in its own way) is ignored as a whole, never
 * an error: the field is reserved, and version 1 says a receiver ignores what it does not
 * understand.
 *
 * <pre>
 * +------------+--------------+----------------------+
 * | kind : u16 | length : u16 | value : length bytes |  repeated to the end of the field
 * +------------+--------------+----------------------+
 * </pre>
 *
 * <p>Immutable.
 */
public final class Extensions {
  /** The sender's schema text (PROTOCOL.md §6), UTF-8, so a mismatch can be explained. */
  public static final int SCHEMA = 0x0001;

  /** Credentials for the authorizer: {@code str scheme}, then the credential bytes. */
  public static final int CREDENTIALS = 0x0002;

  /** Session resumption (protocol minor version 2). */
  public static final int RESUME = 0x0003;

  /** No extensions. */
  public static final Extensions NONE = new Extensions(List.of());

  private static final int ENTRY_HEADER_BYTES = 4;
  private static final int MAX_FIELD_BYTES = 0xFFFF;

  /** One entry: its kind and value. */
  public record Entry(int kind, byte[] value) {
    public Entry {
      if (kind < 0 || kind > 0xFFFF) {
        throw new IllegalArgumentException("extension kind must be a u16, was " + kind);
      }
      if (value.length > MAX_FIELD_BYTES - ENTRY_HEADER_BYTES) {
        throw new IllegalArgumentException("extension value too long: " + value.length);
      }
      value = value.clone();
    }

    @Override
    public byte[] value() {
      return value.clone();
    }
  }

  private final List<Entry> entries;

  private Extensions(List<Entry> entries) {
    this.entries = Collections.unmodifiableList(entries);
  }

  /** Returns extensions holding these entries, in order. */
  public static Extensions of(List<Entry> entries) {
    return new Extensions(new ArrayList<>(entries));
  }

  /** Returns these extensions with {@code value} added under {@code kind}. */
  public Extensions with(int kind, byte[] value) {
    List<Entry> more = new ArrayList<>(entries);
    more.add(new Entry(kind, value));
    return new Extensions(more);
  }

  public List<Entry> entries() {
    return entries;
  }

  /** Returns the value of the first entry of {@code kind}, or null. */
  public byte[] get(int kind) {
    for (Entry e : entries) {
      if (e.kind() == kind) {
        return e.value();
      }
    }
    return null;
  }

  /**
   * Encodes the field's bytes (without its own u16 length). Entries that would make the field
   * longer than 65535 bytes are left out, so that the handshake always encodes.
   */
  public byte[] encode() {
    int size = 0;
    List<Entry> kept = new ArrayList<>();
    for (Entry e : entries) {
      int entrySize = ENTRY_HEADER_BYTES + e.value.length;
      if (size + entrySize <= MAX_FIELD_BYTES) {
        kept.add(e);
        size += entrySize;
      }
    }
    ByteBuffer out = ByteBuffer.allocate(size);
    for (Entry e : kept) {
      out.putShort((short) e.kind()).putShort((short) e.value.length).put(e.value);
    }
    return out.array();
  }

  /**
   * Decodes the field; a field that is not a well-formed sequence of entries yields {@link #NONE}.
   */
  public static Extensions decode(byte[] field) {
    List<Entry> entries = new ArrayList<>();
    ByteBuffer in = ByteBuffer.wrap(field);
    while (in.hasRemaining()) {
      if (in.remaining() < ENTRY_HEADER_BYTES) {
        return NONE;
      }
      int kind = in.getShort() & 0xFFFF;
      int length = in.getShort() & 0xFFFF;
      if (length > in.remaining()) {
        return NONE;
      }
      byte[] value = new byte[length];
      in.get(value);
      entries.add(new Entry(kind, value));
    }
    return new Extensions(entries);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Extensions other) || other.entries.size() != entries.size()) {
      return false;
    }
    for (int i = 0; i < entries.size(); i++) {
      Entry a = entries.get(i);
      Entry b = other.entries.get(i);
      if (a.kind() != b.kind() || !Arrays.equals(a.value, b.value)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = 1;
    for (Entry e : entries) {
      h = 31 * h + e.kind() * 17 + Arrays.hashCode(e.value);
    }
    return h;
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("Extensions[");
    for (Entry e : entries) {
      s.append(String.format("0x%04x", e.kind())).append(':').append(e.value.length).append("B ");
    }
    return s.toString().strip() + "]";
  }
}
