package dev.tether.codec.jackson;

import static dev.tether.codec.jackson.Codecs.encode;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.codec.EncodeBuffer;
import dev.tether.codec.jackson.Messages.Echo;
import dev.tether.codec.jackson.Messages.Exploding;
import dev.tether.codec.jackson.Messages.Numbers;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each thread encodes with one generator, reused from message to message: every message must still
 * be exactly its own bytes, whatever the thread encoded before, failures included.
 */
class ReusedGeneratorTest {
  /** The codec a {@link Reentrant}'s accessor encodes with, on the thread encoding it. */
  private static Codec inner;

  private static byte[] innerBytes;

  /** Encoding it encodes another message on the same thread, from inside the first encode. */
  record Reentrant(String text) {
    @Override
    public String text() {
      innerBytes = encode(inner, new Echo("inner", 2));
      return text;
    }
  }

  @ParameterizedTest
  @MethodSource("dev.tether.codec.jackson.Codecs#both")
  void everyMessageIsExactlyItsOwnBytesWhateverTheThreadEncodedBefore(Codec codec) {
    byte[] first = encode(codec, new Echo("hi", 1));
    EncodeBuffer out = new EncodeBuffer(16);
    for (int i = 0; i < 3; i++) {
      codec.encode(new Echo("hi", 1), out);
    }
    byte[] three = Arrays.copyOf(out.array(), out.position());
    assertThat(three).hasSize(3 * first.length);
    for (int i = 0; i < 3; i++) {
      assertThat(Arrays.copyOfRange(three, i * first.length, (i + 1) * first.length))
          .as("message %d", i)
          .isEqualTo(first);
    }
    assertThat(codec.decode(Echo.class, ByteBuffer.wrap(first))).isEqualTo(new Echo("hi", 1));
  }

  @ParameterizedTest
  @MethodSource("dev.tether.codec.jackson.Codecs#both")
  void aMessageThatFailsHalfWrittenLeavesNothingForTheNext(Codec codec) {
    byte[] expected = encode(codec, new Echo("after", 7));
    EncodeBuffer out = new EncodeBuffer(16);
    codec.encode(new Echo("before", 6), out);
    int before = out.position();
    // both fail after the object has been opened: an accessor that throws, a value refused
    assertThatThrownBy(() -> codec.encode(new Exploding("x"), out))
        .isInstanceOf(CodecException.class);
    assertThatThrownBy(() -> codec.encode(new Numbers(List.of("a", 5L)), out))
        .isInstanceOf(CodecException.class);
    assertThat(out.position()).isEqualTo(before);

    codec.encode(new Echo("after", 7), out);

    assertThat(Arrays.copyOfRange(out.array(), before, out.position())).isEqualTo(expected);
  }

  @ParameterizedTest
  @MethodSource("dev.tether.codec.jackson.Codecs#both")
  void anEncodeFromInsideAnEncodeOnTheSameThreadGetsItsOwnBytes(Codec codec) {
    inner = codec;
    byte[] outer = encode(codec, new Reentrant("outer"));

    assertThat(innerBytes).isEqualTo(encode(codec, new Echo("inner", 2)));
    assertThat(codec.decode(Reentrant.class, ByteBuffer.wrap(outer)).text).isEqualTo("outer");
    assertThat(encode(codec, new Echo("hi", 1))).isEqualTo(encode(codec, new Echo("hi", 1)));
  }

  @ParameterizedTest
  @MethodSource("dev.tether.codec.jackson.Codecs#both")
  void threadsEncodingAtOnceEachGetTheirOwnMessages(Codec codec) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Boolean>> results =
          pool.invokeAll(
              IntStream.range(0, 4)
                  .<Callable<Boolean>>mapToObj(
                      t ->
                          () -> {
                            for (int i = 0; i < 2_000; i++) {
                              Echo echo = new Echo("t" + t, i);
                              byte[] bytes = encode(codec, echo);
                              if (!codec.decode(Echo.class, ByteBuffer.wrap(bytes)).equals(echo)) {
                                return false;
                              }
                            }
                            return true;
                          })
                  .toList());
      for (Future<Boolean> result : results) {
        assertThat(result.get()).isTrue();
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
