package dev.tether.internal.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.MessageTypes;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * The {@code bytes} codec returns exactly the bytes between the payload's position and limit,
 * whatever kind of buffer they come in: the event loop hands it slices of a heap buffer it reuses,
 * and a large frame's own array.
 */
class BytesCodecTest {
  private final Codec codec =
      new BytesCodecProvider()
          .create(MessageTypes.builder("tether-test").register(1, "t.Bytes", byte[].class).build());

  private static final byte[] WIRE = {9, 9, 1, 2, 3, 4, 5, 9};

  @Test
  void decodesTheBytesBetweenPositionAndLimitOfAHeapBuffer() {
    byte[] wire = WIRE.clone();
    ByteBuffer payload = ByteBuffer.wrap(wire).position(2).limit(7);

    byte[] decoded = codec.decode(byte[].class, payload);

    assertThat(decoded).containsExactly(1, 2, 3, 4, 5);
    assertThat(payload.position()).isEqualTo(7);
    wire[3] = 42; // the buffer is reused once decode returns: the message must not share it
    assertThat(decoded).containsExactly(1, 2, 3, 4, 5);
  }

  @Test
  void decodesASliceWhoseArrayStartsElsewhere() {
    ByteBuffer slice = ByteBuffer.wrap(WIRE).position(1).slice().position(1).limit(6);

    assertThat(slice.arrayOffset()).isEqualTo(1);
    assertThat(codec.decode(byte[].class, slice)).containsExactly(1, 2, 3, 4, 5);
  }

  @Test
  void decodesDirectAndReadOnlyBuffers() {
    ByteBuffer direct = ByteBuffer.allocateDirect(WIRE.length).put(WIRE).position(2).limit(7);
    ByteBuffer readOnly = ByteBuffer.wrap(WIRE).asReadOnlyBuffer().position(2).limit(7);

    assertThat(codec.decode(byte[].class, direct)).containsExactly(1, 2, 3, 4, 5);
    assertThat(codec.decode(byte[].class, readOnly)).containsExactly(1, 2, 3, 4, 5);
  }

  @Test
  void decodesAnEmptyPayload() {
    assertThat(codec.decode(byte[].class, ByteBuffer.wrap(WIRE).position(4).limit(4))).isEmpty();
  }

  @Test
  void refusesAnyTypeButByteArrays() {
    assertThatThrownBy(() -> codec.decode(String.class, ByteBuffer.wrap(WIRE)))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("decodes only byte[]");
  }
}
