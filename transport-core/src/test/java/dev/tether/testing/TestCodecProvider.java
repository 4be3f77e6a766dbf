package dev.tether.testing;

import dev.tether.MessageTypes;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.codec.CodecProvider;
import dev.tether.codec.EncodeBuffer;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Codec {@code test}: a hand-written binary encoding of {@link Msg} and {@link Blob}, so that
 * transport-core's tests run without a codec module. Not for production use.
 */
public final class TestCodecProvider implements CodecProvider {
  /** A {@link Msg} whose text starts with this makes the decoder throw an {@link Error}. */
  public static final String CODEC_BUG = "codec-bug:";

  /**
   * A {@link Msg} whose text starts with this makes the encoder throw an {@link Error} after it has
   * written part of the message.
   */
  public static final String ENCODE_BUG = "encode-bug:";

  /** A {@link Msg} whose text starts with this makes the decoder return null. */
  public static final String DECODES_TO_NULL = "decodes-to-null:";

  /** A {@link Msg} whose text starts with this makes the decoder return a {@link Blob} for it. */
  public static final String DECODES_TO_BLOB = "decodes-to-blob:";

  /** Messages encoded by every instance of this codec so far, for tests that count encodings. */
  public static final AtomicLong ENCODED = new AtomicLong();

  @Override
  public String name() {
    return "test";
  }

  @Override
  public Codec create(MessageTypes types) {
    return new Codec() {
      @Override
      public String name() {
        return "test";
      }

      @Override
      public void encode(Object message, EncodeBuffer out) {
        ENCODED.incrementAndGet();
        if (message instanceof Msg m) {
          byte[] text = m.text().getBytes(StandardCharsets.UTF_8);
          writeLong(out, m.seq());
          if (m.text().startsWith(ENCODE_BUG)) {
            throw new AssertionError("codec test has a bug: " + m.text());
          }
          writeInt(out, text.length);
          out.write(text, 0, text.length);
        } else if (message instanceof Blob b) {
          writeLong(out, b.seq());
          writeInt(out, b.data().length);
          out.write(b.data(), 0, b.data().length);
        } else {
          throw new CodecException("codec test cannot encode " + message.getClass());
        }
      }

      @Override
      public <T> T decode(Class<T> type, ByteBuffer in) {
        try {
          long seq = in.getLong();
          int length = in.getInt();
          if (length < 0 || length > in.remaining()) {
            throw new CodecException("codec test: length " + length + " exceeds the payload");
          }
          byte[] bytes = new byte[length];
          in.get(bytes);
          if (type == Msg.class) {
            String text = new String(bytes, StandardCharsets.UTF_8);
            if (text.startsWith(CODEC_BUG)) {
              // what a buggy codec or a broken class path does: an Error, not a CodecException
              throw new AssertionError("codec test has a bug: " + text);
            }
            if (text.startsWith(DECODES_TO_NULL)) {
              return null;
            }
            if (text.startsWith(DECODES_TO_BLOB)) {
              @SuppressWarnings("unchecked")
              T wrong = (T) new Blob(seq, bytes);
              return wrong;
            }
            return type.cast(new Msg(text, seq));
          } else if (type == Blob.class) {
            return type.cast(new Blob(seq, bytes));
          }
          throw new CodecException("codec test cannot decode " + type);
        } catch (BufferUnderflowException e) {
          throw new CodecException("codec test: truncated " + type.getSimpleName(), e);
        }
      }
    };
  }

  private static void writeLong(EncodeBuffer out, long v) {
    for (int i = 56; i >= 0; i -= 8) {
      out.write((int) (v >>> i));
    }
  }

  private static void writeInt(EncodeBuffer out, int v) {
    for (int i = 24; i >= 0; i -= 8) {
      out.write(v >>> i);
    }
  }
}
