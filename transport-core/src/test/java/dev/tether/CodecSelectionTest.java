package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class CodecSelectionTest {
  private static final MessageTypes BYTE_ARRAYS =
      MessageTypes.builder("raw").register(1, "raw", byte[].class).build();

  @Test
  void defaultCodecsLeaveOutCodecsThatCannotCarryTheTypes() {
    assertThat(Tether.availableCodecs()).contains("bytes", "test");
    assertThat(Tether.availableCodecs(TestTypes.TYPES)).contains("test").doesNotContain("bytes");
    assertThat(Tether.availableCodecs(BYTE_ARRAYS)).contains("bytes");
  }

  @Test
  void configuringACodecThatCannotCarryTheTypesFailsAtBindWithTheReason() {
    assertThatThrownBy(
            () -> Tether.server(TestTypes.TYPES).codecs("bytes").bind(new InetSocketAddress(0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("codec 'bytes' cannot carry")
        .hasMessageContaining("test.Msg");
  }

  @Test
  void configuringAnUnknownCodecFailsNamingTheAvailableOnes() {
    assertThatThrownBy(
            () -> Tether.server(TestTypes.TYPES).codecs("yaml").bind(new InetSocketAddress(0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("codec 'yaml' is not on the class path")
        .hasMessageContaining("test");
  }
}
