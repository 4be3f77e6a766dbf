package dev.tether.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tether.GoAwayCode;
import dev.tether.testing.Allocations;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Fuzzes the handshake decoders — HELLO and WELCOME bodies ({@link Handshake}), the extensions
 * field ({@link Extensions}) and the RESUME entry ({@link Resume}) — with arbitrary bytes. For
 * every input a decoder either yields a value or throws {@link ProtocolException} with
 * PROTOCOL_ERROR, never anything else; a value it yields encodes back to exactly the bytes it was
 * read from (the formats have one encoding per value, so a decoder that accepts a byte it should
 * not is caught too); a refused extensions field is one a reference parser finds malformed; and a
 * decode allocates in proportion to its input and ends in bounded time.
 *
 * <p>The first byte of an input chooses the decoder; the rest is the body. The saved inputs under
 * {@code HandshakeFuzzTestInputs} run as ordinary tests in every build; {@code scripts/fuzz.sh
 * handshake <minutes>} fuzzes for real.
 */
class HandshakeFuzzTest {
  private static final long MAX_NANOS = 2_000_000_000L;

  /**
   * What a decode may allocate per input byte, plus a constant: each {@code str} is copied into a
   * char buffer and a String, and each field gets its own UTF-8 decoder.
   */
  private static final long ALLOCATION_PER_BYTE = 16;

  private static final long ALLOCATION_ALLOWANCE = 32 * 1024;

  @FuzzTest(maxDuration = "10m")
  void handshakeDecodersYieldAValueThatEncodesBackOrAProtocolError(byte[] input) {
    if (input.length == 0) {
      return;
    }
    int target = input[0] & 3;
    byte[] body = Arrays.copyOfRange(input, 1, input.length);

    Decoded run = Decoded.of(target, input[0], body);
    if (run.allocated() > ALLOCATION_PER_BYTE * body.length + ALLOCATION_ALLOWANCE
        || run.elapsedNanos() >= MAX_NANOS) {
      // the first pass through a path links classes, and a shared machine may pause any pass
      run = Decoded.of(target, input[0], body);
    }
    if (run.allocated() >= 0) {
      assertThat(run.allocated())
          .as("bytes allocated decoding %d bytes", body.length)
          .isLessThanOrEqualTo(ALLOCATION_PER_BYTE * body.length + ALLOCATION_ALLOWANCE);
    }
    assertThat(run.elapsedNanos())
        .as("nanoseconds to decode %d bytes", body.length)
        .isLessThan(MAX_NANOS);
    Object decoded = run.value();
    ProtocolException refused = run.refused();
    if (refused != null) {
      assertThat(refused.code()).isEqualTo(GoAwayCode.PROTOCOL_ERROR);
      assertThat(refused.isSilent()).isFalse();
      assertThat(refused.getMessage()).isNotBlank();
      return;
    }
    switch (target) {
      case 0, 1 -> assertEncodesBack((Handshake) decoded, target == 0, body);
      case 2 -> assertEncodesBack((Extensions) decoded, body);
      default -> assertThat(((Resume) decoded).encode()).isEqualTo(body);
    }
  }

  /** What one decode yielded, and what it cost. */
  record Decoded(Object value, ProtocolException refused, long allocated, long elapsedNanos) {
    static Decoded of(int target, byte selector, byte[] body) {
      long startNanos = System.nanoTime();
      long allocatedBefore = Allocations.current();
      Object value = null;
      ProtocolException refused = null;
      try {
        value =
            switch (target) {
              case 0 -> Handshake.decodeHello(ByteBuffer.wrap(body));
              case 1 -> Handshake.decodeWelcome(ByteBuffer.wrap(body));
              case 2 -> Extensions.decode(body);
              default -> Resume.decode(body, (selector & 4) != 0);
            };
      } catch (ProtocolException e) {
        refused = e;
      }
      return new Decoded(
          value, refused, Allocations.since(allocatedBefore), System.nanoTime() - startNanos);
    }
  }

  /** The body read is the handshake's encoding, followed by bytes a later version may append. */
  private static void assertEncodesBack(Handshake handshake, boolean hello, byte[] body) {
    assertThat(handshake.codecs()).hasSizeBetween(1, hello ? Handshake.MAX_CODECS : 1);
    assertThat(handshake.maxFrameSize())
        .isBetween((long) Handshake.MIN_MAX_FRAME_SIZE, 0xFFFF_FFFFL);
    byte[] frame = hello ? handshake.encodeHello() : handshake.encodeWelcome();
    byte[] encoded = Arrays.copyOfRange(frame, Frames.HEADER_BYTES, frame.length);
    assertThat(encoded.length).isLessThanOrEqualTo(body.length);
    assertThat(Arrays.copyOf(body, encoded.length))
        .as("the bytes the %s was read from", hello ? "HELLO" : "WELCOME")
        .isEqualTo(encoded);
  }

  /**
   * A field that decodes to entries encodes back to itself; one that decodes to none is empty or
   * not a well-formed sequence of entries.
   */
  private static void assertEncodesBack(Extensions extensions, byte[] field) {
    if (extensions.entries().isEmpty()) {
      assertThat(field.length == 0 || !wellFormed(field))
          .as("a well-formed field of %d bytes decoded to no entries", field.length)
          .isTrue();
    } else {
      assertThat(extensions.encode()).isEqualTo(field);
    }
  }

  /** PROTOCOL.md §5: entries of u16 kind, u16 length and that many bytes, to the field's end. */
  private static boolean wellFormed(byte[] field) {
    int at = 0;
    while (at < field.length) {
      if (field.length - at < 4) {
        return false;
      }
      int length = ((field[at + 2] & 0xFF) << 8) | (field[at + 3] & 0xFF);
      at += 4 + length;
    }
    return at == field.length;
  }
}
