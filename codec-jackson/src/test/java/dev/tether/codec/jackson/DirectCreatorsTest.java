package dev.tether.codec.jackson;

import static dev.tether.codec.jackson.Codecs.decode;
import static dev.tether.codec.jackson.Codecs.encodePlain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Records and {@code @JsonCreator} classes are built through a handle adapted once per type ({@link
 * DirectCreators}), with Jackson's behaviour for everything around the call: defaults for absent
 * components, and a creator's exception reported with its cause.
 */
class DirectCreatorsTest {
  /** Records the frames that built it: which path called the constructor. */
  record Traced(long seq, String text, int count) {
    static final ThreadLocal<List<String>> CALLERS = new ThreadLocal<>();

    Traced {
      CALLERS.set(
          Arrays.stream(new Throwable().getStackTrace())
              .map(f -> f.getClassName() + "." + f.getMethodName())
              .toList());
    }
  }

  /** A class with a static factory for its creator. */
  static final class Made {
    final String name;
    final double weight;

    private Made(String name, double weight) {
      this.name = name;
      this.weight = weight;
    }

    @JsonCreator
    static Made of(@JsonProperty("name") String name, @JsonProperty("weight") double weight) {
      if (weight < 0) {
        throw new IllegalArgumentException("weight must be >= 0, was " + weight);
      }
      return new Made(name, weight);
    }
  }

  private record Wide(
      byte a, short b, int c, long d, float e, double f, boolean g, char h, String i, int[] j) {}

  @ParameterizedTest
  @MethodSource("dev.tether.codec.jackson.Codecs#both")
  void aRecordIsBuiltWithoutInvokeWithArgumentsPerObject(Codec codec) {
    Traced traced = decode(codec, Traced.class, encodePlain(codec, new Traced(7, "x", 3)));
    List<String> callers = Traced.CALLERS.get(); // before this test builds another

    assertThat(traced).isEqualTo(new Traced(7, "x", 3));
    assertThat(callers)
        .as("the frames that called the record's constructor")
        .contains(DirectCreators.class.getName() + "$Direct.createFromObjectWith")
        .doesNotContain("java.lang.invoke.MethodHandle.invokeWithArguments");
  }

  @ParameterizedTest
  @MethodSource("dev.tether.codec.jackson.Codecs#both")
  void everyKindOfComponentAndAbsentOnesGetJacksonsDefaults(Codec codec) {
    Wide wide = new Wide((byte) 1, (short) 2, 3, 4L, 5.5f, 6.25, true, 'h', "i", new int[] {9});
    Wide back = decode(codec, Wide.class, encodePlain(codec, wide));
    assertThat(back).usingRecursiveComparison().isEqualTo(wide);

    Wide empty = decode(codec, Wide.class, encodePlain(codec, Map.of()));
    assertThat(empty)
        .usingRecursiveComparison()
        .isEqualTo(new Wide((byte) 0, (short) 0, 0, 0L, 0f, 0.0, false, '\0', null, null));
  }

  @ParameterizedTest
  @MethodSource("dev.tether.codec.jackson.Codecs#both")
  void aStaticFactoryCreatorIsCalledAndItsFailureNamed(Codec codec) {
    Made made = decode(codec, Made.class, encodePlain(codec, Map.of("name", "n", "weight", 2.5)));
    assertThat(made.name).isEqualTo("n");
    assertThat(made.weight).isEqualTo(2.5);

    assertThatThrownBy(
            () -> decode(codec, Made.class, encodePlain(codec, Map.of("name", "n", "weight", -1))))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("weight must be >= 0, was -1.0")
        .hasRootCauseInstanceOf(IllegalArgumentException.class);
  }
}
