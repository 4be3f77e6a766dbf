package dev.tether.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.GoAwayCode;
import dev.tether.testing.Hex;
import java.nio.ByteBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class VarintTest {
  @ParameterizedTest(name = "{0} <-> {1}")
  @CsvSource({
    "0,          00", // smallest value, one byte
    "1,          01",
    "127,        7f", // largest one-byte value
    "128,        8001", // low 7 bits 0 with continuation, then 1
    "300,        ac02", // the LEB128 textbook example
    "16383,      ff7f", // largest two-byte value
    "16384,      808001",
    "2147483647, ffffffff07", // 2^31-1: four full groups, then 0b111
  })
  void encodesAndDecodesTheCanonicalForm(int value, String hex) throws ProtocolException {
    byte[] expected = Hex.decode(hex);

    byte[] array = new byte[Varint.MAX_BYTES];
    int end = Varint.write(array, 0, value);
    ByteBuffer buffer = ByteBuffer.allocate(Varint.MAX_BYTES);
    Varint.write(buffer, value);

    assertThat(Varint.size(value)).isEqualTo(expected.length);
    assertThat(end).isEqualTo(expected.length);
    assertThat(java.util.Arrays.copyOf(array, end)).isEqualTo(expected);
    assertThat(java.util.Arrays.copyOf(buffer.array(), buffer.position())).isEqualTo(expected);
    assertThat(Varint.read(ByteBuffer.wrap(expected))).isEqualTo(value);
  }

  @ParameterizedTest(name = "[{index}] {1}")
  @CsvSource({
    "8000,         overlong varint encoding", // 0 in two bytes: redundant final zero
    "ff00,         overlong varint encoding", // 127 in two bytes
    "8080808000,   overlong varint encoding", // 0 in five bytes
    "808080808001, varint longer than 5 bytes", // a sixth byte would be needed
    "ffffffffff7f, varint longer than 5 bytes",
    "8080808008,   varint value 2147483648 exceeds 2^31-1", // 2^31
    "ffffffff0f,   varint value 4294967295 exceeds 2^31-1", // 2^32-1
    "ffffffff7f,   varint value 34359738367 exceeds 2^31-1", // 2^35-1, the 5-byte maximum
    "'',           truncated varint", // nothing at all
    "80,           truncated varint", // continuation bit set, then the end
    "ffffffff,     truncated varint", // four bytes, all continued
  })
  void rejectsMalformedEncodingsWithProtocolError(String hex, String message) {
    assertThatThrownBy(() -> Varint.read(Hex.buffer(hex)))
        .isInstanceOfSatisfying(
            ProtocolException.class, e -> assertThat(e.code()).isEqualTo(GoAwayCode.PROTOCOL_ERROR))
        .hasMessage(message);
  }

  @ParameterizedTest
  @CsvSource({"-1", "-2147483648"})
  void refusesToWriteNegativeValues(int value) {
    assertThatThrownBy(() -> Varint.write(new byte[5], 0, value))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("varint value must be 0..2^31-1, was " + value);
    assertThatThrownBy(() -> Varint.write(ByteBuffer.allocate(5), value))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Varint.size(value)).isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest
  @CsvSource({"0", "127", "128", "2147483647"})
  void readsExactlyItsOwnBytesAndLeavesTheRest(int value) throws ProtocolException {
    ByteBuffer buffer = ByteBuffer.allocate(Varint.MAX_BYTES + 2);
    Varint.write(buffer, value);
    buffer.put((byte) 0xAB).put((byte) 0xCD).flip(); // payload after the varint

    assertThat(Varint.read(buffer)).isEqualTo(value);
    assertThat(buffer.remaining()).isEqualTo(2);
    assertThat(buffer.get()).isEqualTo((byte) 0xAB);
  }
}
