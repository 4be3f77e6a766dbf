package dev.tether.codec.fury;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_16LE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.tether.MessageTypes;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.codec.EncodeBuffer;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Currency;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.apache.fory.Fory;
import org.apache.fory.serializer.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The JDK values Fory builds from strings, and the one it holds any value in ({@code
 * AtomicReference}): a string in a form this JVM never makes (a Latin-1 text written as UTF-16) is
 * refused before the JDK keeps it, sound values read back as they were written, and a chain of
 * references is measured as deep as Fory's reader measures it.
 */
class FuryStringValuesTest {
  record Where(Locale locale) {}

  record Link(URI uri) {}

  record Rule(Pattern pattern) {}

  record Money(Currency currency) {}

  record Texts(StringBuilder builder, StringBuffer buffer) {}

  record Ref(AtomicReference<Object> ref) {}

  record Any(Object value) {}

  record Failure(RuntimeException error) {}

  private static final Codec CODEC =
      new FuryCodecProvider()
          .create(
              MessageTypes.builder("string-values")
                  .register(1, Where.class)
                  .register(2, Link.class)
                  .register(3, Rule.class)
                  .register(4, Money.class)
                  .register(5, Texts.class)
                  .register(6, Ref.class)
                  .register(7, Any.class)
                  .register(8, Failure.class)
                  .build());

  private static byte[] encode(Object message) {
    EncodeBuffer buffer = new EncodeBuffer(256);
    CODEC.encode(message, buffer);
    return Arrays.copyOf(buffer.array(), buffer.position());
  }

  private static <T> T decode(Class<T> type, byte[] payload) {
    return type.cast(CODEC.decode(type, ByteBuffer.wrap(payload)));
  }

  /** {@code payload} with its Latin-1 string {@code found} replaced by {@code text} as UTF-16. */
  private static byte[] withUtf16(byte[] payload, String found, String text) {
    byte[] part =
        ForyPayloads.concat(
            ForyPayloads.stringHeader(found.length(), ForyPayloads.LATIN1),
            found.getBytes(ISO_8859_1));
    for (int i = 0; i + part.length <= payload.length; i++) {
      if (Arrays.equals(payload, i, i + part.length, part, 0, part.length)) {
        byte[] utf16 = text.getBytes(UTF_16LE); // Fory's order on a little-endian machine
        return ForyPayloads.concat(
            Arrays.copyOf(payload, i),
            ForyPayloads.stringHeader(utf16.length, ForyPayloads.UTF16),
            utf16,
            Arrays.copyOfRange(payload, i + part.length, payload.length));
      }
    }
    throw new AssertionError("the payload holds no Latin-1 \"" + found + "\"");
  }

  private static void assertRefused(Class<?> type, byte[] payload) {
    assertThatThrownBy(() -> decode(type, payload))
        .isExactlyInstanceOf(CodecException.class)
        .hasMessageContaining(type.getName())
        .hasMessageContaining("Latin-1 characters written as UTF-16 or UTF-8");
  }

  @Test
  void aLocaleFromAPayloadLeavesTheJvmsInternedStringsAlone() {
    // new Locale interns its language: Fory's serializer let the payload's UTF-16 "qk" become the
    // JVM's interned "qk", and with it every "qk" literal resolved later, which then equals no "qk"
    // built the normal way. The text is made at run time, so that no literal interned it first.
    String text = new String(new char[] {'q', 'k'});
    byte[] payload = withUtf16(encode(new Where(new Locale("ab", "CD", "ef"))), "ab", text);

    Throwable refusal = catchThrowable(() -> decode(Where.class, payload));

    String interned = new String(new char[] {'q', 'k'}).intern();
    assertThat(StringSerializer.getStringCoder(interned))
        .as("the coder of the JVM's interned \"qk\"")
        .isEqualTo(StringCheck.COMPACT_STRINGS ? (byte) 0 : (byte) 1);
    assertThat(interned).isEqualTo(text);
    assertThat(refusal)
        .isExactlyInstanceOf(CodecException.class)
        .hasMessageContaining("Latin-1 characters written as UTF-16 or UTF-8");
  }

  @Test
  void refusesAStringOfLatin1CharactersAsUtf16InEachValue() {
    assertRefused(Where.class, withUtf16(encode(new Where(new Locale("ab", "CD"))), "CD", "CD"));
    assertRefused(Any.class, withUtf16(encode(new Any(new Locale("ab"))), "ab", "ab"));
    assertRefused(Link.class, withUtf16(encode(new Link(URI.create("ab"))), "ab", "ab"));
    assertRefused(Rule.class, withUtf16(encode(new Rule(Pattern.compile("ab"))), "ab", "ab"));
    assertRefused(
        Money.class, withUtf16(encode(new Money(Currency.getInstance("EUR"))), "EUR", "EUR"));
    Texts texts = new Texts(new StringBuilder("ab"), new StringBuffer("cd"));
    assertRefused(Texts.class, withUtf16(encode(texts), "ab", "ab"));
    assertRefused(Texts.class, withUtf16(encode(texts), "cd", "cd"));
    assertRefused(Ref.class, withUtf16(encode(new Ref(new AtomicReference<>("ab"))), "ab", "ab"));
    assertRefused(
        Any.class, withUtf16(encode(new Any(new AtomicReference<>(List.of("ab")))), "ab", "ab"));
  }

  @Test
  void soundValuesReadBackAsTheyWereWritten() {
    for (Locale locale :
        List.of(
            Locale.US,
            Locale.ROOT,
            new Locale("tr", "TR"),
            new Locale("ja", "JP", "JP"),
            new Locale("th", "TH", "TH"),
            Locale.forLanguageTag("en-US-POSIX"))) {
      assertThat(decode(Where.class, encode(new Where(locale))).locale()).isEqualTo(locale);
    }
    // Fory's format, kept: language, country and variant only, so a locale those do not make
    // again is refused by the sender rather than delivered as another
    for (String tag : List.of("zh-Hant-TW", "de-DE-u-co-phonebk", "th-TH-u-nu-thai")) {
      assertThatThrownBy(() -> encode(new Where(Locale.forLanguageTag(tag))))
          .as(tag)
          .isInstanceOf(CodecException.class)
          .hasMessageContaining("Locale " + tag + " is not carried")
          .hasMessageContaining("script and extensions would be lost");
    }
    URI uri = URI.create("http://example.com/caf%C3%A9?\u4e00=\u00e9#x");
    assertThat(decode(Link.class, encode(new Link(uri))).uri()).isEqualTo(uri);
    Pattern pattern = Pattern.compile("a+\u4e00|\u00e9", Pattern.CASE_INSENSITIVE);
    Pattern read = decode(Rule.class, encode(new Rule(pattern))).pattern();
    assertThat(read.pattern()).isEqualTo(pattern.pattern());
    assertThat(read.flags()).isEqualTo(pattern.flags());
    Currency euro = Currency.getInstance("EUR");
    assertThat(decode(Money.class, encode(new Money(euro))).currency()).isSameAs(euro);
    Texts texts =
        decode(
            Texts.class, encode(new Texts(new StringBuilder("\u00e9\u4e00"), new StringBuffer())));
    assertThat(texts.builder()).hasToString("\u00e9\u4e00");
    assertThat(texts.buffer()).hasToString("");
    Ref ref = decode(Ref.class, encode(new Ref(new AtomicReference<>(List.of("a", "\u4e00")))));
    assertThat(ref.ref().get()).isEqualTo(List.of("a", "\u4e00"));

    // text that needs UTF-16 is sound in that form, whoever wrote it
    String cjk = "\u4e00\u4e01";
    Link utf16 = decode(Link.class, withUtf16(encode(new Link(URI.create("ab"))), "ab", cjk));
    assertThat(utf16.uri().toString()).isEqualTo(cjk);
  }

  /**
   * {@code Pattern.compile} with {@code CANON_EQ} takes time and memory that grow factorially with
   * a character's combining marks (13 of them ran the test's 1 GiB heap out of memory in a quarter
   * of a second): refused before it compiles, on both ends.
   */
  @Test
  @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void aPatternWithCanonEqIsRefusedWrittenOrRead() {
    assertThatThrownBy(() -> encode(new Rule(Pattern.compile("a\u0300", Pattern.CANON_EQ))))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("CANON_EQ flag is not carried");

    // a field declared Object: any receiver of the type reads whatever value the payload names
    byte[] payload = ForyPayloads.withCanonEq(encode(new Any(ForyPayloads.combiningMarks(13))));
    assertThatThrownBy(() -> decode(Any.class, payload))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("CANON_EQ flag is not carried");
  }

  @Test
  void writesWhatForysOwnSerializersWriteAndReadsIt() {
    // Fory's serializers on one side, the codec's on the other: peers of either read each other
    Fory forys = FuryRegistrations.configure(Fory.builder()).build();
    Fory ours = FuryRegistrations.configure(Fory.builder()).build();
    StringValueSerializers.register(ours);
    for (Object value :
        List.of(
            new Locale("ja", "JP", "JP"),
            URI.create("http://example.com/\u4e00"),
            Pattern.compile("a+\u00e9", Pattern.MULTILINE),
            Currency.getInstance("JPY"),
            new StringBuilder("\u00e9\u4e00"),
            new StringBuffer("abc"))) {
      byte[] written = ours.serialize(value);
      assertThat(written).as("%s", value.getClass()).isEqualTo(forys.serialize(value));
      assertThat(String.valueOf(ours.deserialize(written))).isEqualTo(String.valueOf(value));
    }
  }

  @Test
  void aChainOfReferencesTheWriterAcceptsIsOneTheReaderAccepts() {
    // Fory's reader counts each AtomicReference as a level; the writer did not, and sent chains
    // the reader refused, closing the connection over one message
    int accepted = 0;
    for (int links = 1; links <= 250; links++) {
      AtomicReference<Object> chain = new AtomicReference<>("x");
      for (int i = 1; i < links; i++) {
        chain = new AtomicReference<>(chain);
      }
      Ref message = new Ref(chain);
      byte[] payload;
      try {
        payload = encode(message);
      } catch (CodecException e) {
        assertThat(e).hasMessageContaining("nests deeper than the limit of 200 levels");
        continue;
      }
      assertThat(decode(Ref.class, payload).ref()).isNotNull();
      accepted = links;
    }
    assertThat(accepted).isEqualTo(198); // the record, 198 references and the string: 200 levels
  }

  @Test
  void aThrowablesMessageStackTraceCauseAndSuppressedAreChecked() {
    assertRefused(
        Failure.class, withUtf16(encode(new Failure(new IllegalStateException("ab"))), "ab", "ab"));
    assertRefused(
        Failure.class,
        withUtf16(
            encode(new Failure(new IllegalStateException("x", new IllegalArgumentException("ab")))),
            "ab",
            "ab"));
    IllegalStateException suppressing = new IllegalStateException("x");
    suppressing.addSuppressed(new IllegalArgumentException("cd"));
    assertRefused(Failure.class, withUtf16(encode(new Failure(suppressing)), "cd", "cd"));
    String method = new Throwable().getStackTrace()[0].getMethodName();
    assertRefused(
        Failure.class,
        withUtf16(encode(new Failure(new IllegalStateException("x"))), method, method));

    RuntimeException sound =
        new IllegalStateException("caf\u00e9 \u4e00", new IllegalArgumentException("why"));
    sound.addSuppressed(new IllegalArgumentException("also"));
    RuntimeException read = decode(Failure.class, encode(new Failure(sound))).error();
    assertThat(read).isExactlyInstanceOf(IllegalStateException.class);
    assertThat(read.getMessage()).isEqualTo(sound.getMessage());
    assertThat(read.getCause()).hasMessage("why");
    assertThat(read.getSuppressed())
        .singleElement()
        .satisfies(e -> assertThat(e).hasMessage("also"));
    assertThat(read.getStackTrace()).isEqualTo(sound.getStackTrace());
  }

  @Test
  void aChainOfCausesTheWriterAcceptsIsOneTheReaderAccepts() {
    // Fory's reader counts each cause and each stack trace as levels; the writer counted a
    // throwable as one, and sent chains of causes the reader refused
    // the record, the causes and the last one's message: 200 levels
    assertThat(longestChainOfCausesSent(1, 200, false)).isEqualTo(198);
    // the record, the causes, and the last one's stack trace and its elements
    assertThat(longestChainOfCausesSent(190, 200, true)).isEqualTo(197);
  }

  /** Sends chains of {@code from} to {@code to} causes; returns the longest the writer sent. */
  private static int longestChainOfCausesSent(int from, int to, boolean stackTraces) {
    int longest = 0;
    for (int links = from; links <= to; links++) {
      RuntimeException chain = null;
      for (int i = 0; i < links; i++) {
        chain = new IllegalStateException("x", chain);
        if (!stackTraces) {
          chain.setStackTrace(new StackTraceElement[0]);
        }
      }
      byte[] payload;
      try {
        payload = encode(new Failure(chain));
      } catch (CodecException e) {
        assertThat(e).hasMessageContaining("nests deeper than the limit of 200 levels");
        continue;
      }
      assertThat(decode(Failure.class, payload).error()).hasMessage("x");
      longest = links;
    }
    return longest;
  }
}
