package dev.tether.codec.jackson;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tether.testing.CodecFuzzing;

/**
 * Fuzzes the {@code json} codec's decode path through the codec SPI, for every message type of the
 * shared test-jar, with the invariants of {@link CodecFuzzing}: a value that encodes back, or a
 * {@code CodecException}; never another exception, never more allocation or time than the codecs
 * promise. The saved inputs under {@code JsonDecodeFuzzTestInputs} run as ordinary tests in every
 * build; {@code scripts/fuzz.sh json <minutes>} fuzzes for real.
 */
class JsonDecodeFuzzTest {
  @FuzzTest(maxDuration = "10m")
  void decodesAnyBytesToAValueOrACodecExceptionWithinItsBounds(byte[] input) {
    CodecFuzzing.decode("json", input);
  }
}
