package dev.tether.codec.jackson;

import static dev.tether.codec.jackson.Codecs.CBOR;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.testing.BufferLayout;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Chunked text strings (RFC 8949 §3.2.3: {@code 7f}, definite-length chunks, {@code ff}), which
 * Tether's encoder never writes but any other CBOR encoder may. They must decode to the same string
 * from every kind of buffer. Jackson's CBOR parser, fed from a stream, gets them wrong where a
 * chunk meets the end of its 8,000-byte input buffer: a string of empty chunks gained spurious
 * characters and a valid string failed with "Invalid UTF-8 start byte 0xff" — only from direct
 * buffers, which the codec used to stream.
 */
class CborChunkedStringTest {
  /** {@code record Text(String value, String pad)}, as CBOR maps with the pad first. */
  record Padded(String value, String pad) {}

  @Test
  void decodesAStringOfEmptyChunksAsEmptyFromEveryBuffer() {
    for (int chunks : new int[] {1, 2, 7_999, 8_000, 8_001, 20_000}) {
      ByteArrayOutputStream chunked = new ByteArrayOutputStream();
      chunked.write(0x7f); // text string, indefinite length
      for (int i = 0; i < chunks; i++) {
        chunked.write(0x60); // an empty chunk
      }
      chunked.write(0xff); // break

      byte[] payload = padded(0, chunked.toByteArray());

      assertDecodesEverywhereTo(payload, new Padded("", ""), chunks + " empty chunks");
    }
  }

  @Test
  void decodesAChunkedStringAtEveryOffsetAroundTheParserBufferEnd() {
    // "ab" + "" + "c€" in three chunks, the whole moved across the 8,000-byte boundary byte by
    // byte.
    byte[] chunked =
        concat(new byte[] {0x7f, 0x62, 'a', 'b', 0x60, 0x64, 'c'}, euro(), bytes(0xff));
    List<String> failures = new ArrayList<>();
    for (int pad = 7_950; pad < 8_050; pad++) {
      byte[] payload = padded(pad, chunked);
      for (BufferLayout layout : BufferLayout.values()) {
        try {
          Object decoded = CBOR.decode(Padded.class, layout.place(payload));
          if (!new Padded("abc€", "x".repeat(pad)).equals(decoded)) {
            failures.add(pad + " " + layout + ": " + ((Padded) decoded).value());
          }
        } catch (RuntimeException e) {
          failures.add(pad + " " + layout + ": " + e.getMessage());
        }
      }
    }

    assertThat(failures).isEmpty();
  }

  @Test
  void decodesChunksThatSplitNoCharacterAcrossBufferBoundaries() {
    StringBuilder expected = new StringBuilder();
    ByteArrayOutputStream chunked = new ByteArrayOutputStream();
    chunked.write(0x7f);
    for (int i = 0; i < 3_000; i++) {
      String chunk = i % 3 == 0 ? "" : i % 3 == 1 ? "é" : "𝄞z";
      byte[] utf8 = chunk.getBytes(StandardCharsets.UTF_8);
      chunked.write(0x60 + utf8.length); // every chunk is shorter than 24 bytes
      chunked.writeBytes(utf8);
      expected.append(chunk);
    }
    chunked.write(0xff);

    assertDecodesEverywhereTo(
        padded(5, chunked.toByteArray()),
        new Padded(expected.toString(), "x".repeat(5)),
        "3,000 chunks of 0, 2 and 5 bytes");
  }

  private static void assertDecodesEverywhereTo(byte[] payload, Padded expected, String what) {
    for (BufferLayout layout : BufferLayout.values()) {
      assertThat(CBOR.decode(Padded.class, layout.place(payload)))
          .as("%s from %s", what, layout)
          .isEqualTo(expected);
    }
  }

  /** A map {"pad": "x" * pad, "value": <chunked>}: the pad moves the string through the input. */
  private static byte[] padded(int pad, byte[] chunkedValue) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0xa2); // map of 2 pairs
    out.write(0x63);
    out.writeBytes("pad".getBytes(StandardCharsets.US_ASCII));
    out.write(0x79); // text, 2-byte length
    out.write(pad >>> 8);
    out.write(pad & 0xff);
    out.writeBytes("x".repeat(pad).getBytes(StandardCharsets.US_ASCII));
    out.write(0x65);
    out.writeBytes("value".getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(chunkedValue);
    return out.toByteArray();
  }

  private static byte[] euro() {
    return "€".getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] bytes(int... values) {
    byte[] bytes = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      bytes[i] = (byte) values[i];
    }
    return bytes;
  }

  private static byte[] concat(byte[]... parts) {
    return Codecs.concat(parts);
  }
}
