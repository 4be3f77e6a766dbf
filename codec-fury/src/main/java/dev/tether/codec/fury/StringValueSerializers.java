package dev.tether.codec.fury;

import java.net.URI;
import java.util.Currency;
import java.util.Locale;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.apache.fory.BaseFory;
import org.apache.fory.context.ReadContext;
import org.apache.fory.context.WriteContext;
import org.apache.fory.memory.MemoryBuffer;
import org.apache.fory.resolver.TypeResolver;
import org.apache.fory.serializer.ImmutableSerializer;
import org.apache.fory.serializer.Serializers;
import org.apache.fory.serializer.Shareable;

/**
 * The codec's serializers for the JDK values Fory builds from strings ({@code Locale}, {@code URI},
 * {@code Pattern}, {@code Currency}, {@code StringBuilder}, {@code StringBuffer}), replacing Fory's
 * in every Fory instance: the same wire format, but each string is checked ({@link
 * StringCheck#isSound}) before the JDK sees it. {@link ZonedDateTimeSerializer} reads its zone id
 * so too. A {@code Pattern} with the {@code CANON_EQ} flag is refused, written or read: the time
 * and memory its compile takes grow factorially with a character's combining marks.
 *
 * <p>{@link StringCheck} looks at a message after Fory has built it, which is too late here: the
 * JDK may keep such a string beyond the message. {@code new Locale} interns its language, so a
 * payload's UTF-16 {@code "qk"} became the JVM's one interned {@code "qk"}, and every string
 * literal of that text resolved later was that string, which equals no {@code "qk"} built the
 * normal way: a string literal's {@code equals} broke for the whole JVM, from one message that
 * failed to decode. A {@code URI}'s or a {@code Pattern}'s text would keep the bad form too.
 *
 * <p>This class is thread safe; its serializers keep no state.
 */
final class StringValueSerializers {
  private StringValueSerializers() {}

  /** Registers the serializers with {@code fory}, before its first use. */
  static void register(BaseFory fory) {
    fory.registerSerializer(Locale.class, LocaleSerializer::new);
    fory.registerSerializer(Pattern.class, PatternSerializer::new);
    fory.registerSerializer(
        URI.class, resolver -> new OneString<>(resolver, URI.class, URI::toString, URI::create));
    fory.registerSerializer(
        Currency.class,
        resolver ->
            new OneString<>(
                resolver, Currency.class, Currency::getCurrencyCode, Currency::getInstance));
    fory.registerSerializer(
        StringBuilder.class,
        resolver -> new Builder<>(resolver, StringBuilder.class, StringBuilder::new));
    fory.registerSerializer(
        StringBuffer.class,
        resolver -> new Builder<>(resolver, StringBuffer.class, StringBuffer::new));
  }

  /** Reads a string and refuses it unless this JVM could have made it. */
  static String readSound(ReadContext context) {
    String string = context.readString();
    if (!StringCheck.isSound(string)) {
      throw new FuryLimitException(StringCheck.reason());
    }
    return string;
  }

  /** A value Fory writes as one string, as Fory's serializer of it does. */
  private static final class OneString<T> extends ImmutableSerializer<T> implements Shareable {
    private final Function<T, String> text;
    private final Function<String, T> parse;

    OneString(
        TypeResolver resolver, Class<T> type, Function<T, String> text, Function<String, T> parse) {
      super(resolver.getConfig(), type);
      this.text = text;
      this.parse = parse;
    }

    @Override
    public void write(WriteContext context, T value) {
      context.writeString(text.apply(value));
    }

    @Override
    public T read(ReadContext context) {
      return parse.apply(readSound(context));
    }
  }

  /**
   * Language, country and variant, as Fory's {@code LocaleSerializer} writes them. A locale those
   * three do not make again, one with a script or extensions ({@code zh-Hant-TW}, {@code
   * de-DE-u-co-phonebk}), is refused when it is written: Fory's format would deliver another locale
   * ({@code zh_TW}) without a word.
   */
  private static final class LocaleSerializer extends ImmutableSerializer<Locale>
      implements Shareable {
    LocaleSerializer(TypeResolver resolver) {
      super(resolver.getConfig(), Locale.class);
    }

    @Override
    @SuppressWarnings("deprecation") // Locale.of is JDK 19+; the floor is 17
    public void write(WriteContext context, Locale value) {
      // new Locale("ja", "JP", "JP") and ("th", "TH", "TH") add an extension themselves
      if ((!value.getScript().isEmpty() || !value.getExtensionKeys().isEmpty())
          && !new Locale(value.getLanguage(), value.getCountry(), value.getVariant())
              .equals(value)) {
        throw new FuryLimitException(
            "Locale "
                + value.toLanguageTag()
                + " is not carried: the fury codec writes a locale's language, country and"
                + " variant only, so its script and extensions would be lost; send"
                + " toLanguageTag() as a String");
      }
      context.writeString(value.getLanguage());
      context.writeString(value.getCountry());
      context.writeString(value.getVariant());
    }

    @Override
    @SuppressWarnings("deprecation") // Locale.of is JDK 19+; the floor is 17
    public Locale read(ReadContext context) {
      String language = readSound(context);
      String country = readSound(context);
      String variant = readSound(context);
      return new Locale(language, country, variant);
    }
  }

  /** The pattern and its flags, as Fory's {@code RegexSerializer} writes them. */
  private static final class PatternSerializer extends ImmutableSerializer<Pattern>
      implements Shareable {
    PatternSerializer(TypeResolver resolver) {
      super(resolver.getConfig(), Pattern.class);
    }

    @Override
    public void write(WriteContext context, Pattern value) {
      refuseCanonEq(value.flags());
      context.writeString(value.pattern());
      context.getBuffer().writeInt32(value.flags());
    }

    @Override
    public Pattern read(ReadContext context) {
      MemoryBuffer buffer = context.getBuffer();
      String pattern = readSound(context);
      int flags = buffer.readInt32();
      refuseCanonEq(flags);
      return Pattern.compile(pattern, flags);
    }

    /**
     * With {@code CANON_EQ}, {@code Pattern.compile} builds the orders of a character's combining
     * marks: one character and 11 marks took 1.3 s here, 12 took 14 s, and 13 (a 43-byte message)
     * ran a 1 GiB heap out of memory, on the event loop that decodes the message. So such a pattern
     * is refused on both ends: the sender's {@code send} fails, saying why.
     */
    private static void refuseCanonEq(int flags) {
      if ((flags & Pattern.CANON_EQ) != 0) {
        throw new FuryLimitException(
            "a Pattern with the CANON_EQ flag is not carried: compiling one takes time that grows"
                + " factorially with its combining marks");
      }
    }
  }

  /** Fory's writer of a string builder, and a reader that checks the string first. */
  private static final class Builder<T extends CharSequence>
      extends Serializers.AbstractStringBuilderSerializer<T> {
    private final Function<String, T> make;

    Builder(TypeResolver resolver, Class<T> type, Function<String, T> make) {
      super(resolver.getConfig(), type);
      this.make = make;
    }

    @Override
    public T read(ReadContext context) {
      return make.apply(readSound(context));
    }
  }
}
