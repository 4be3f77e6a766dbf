package dev.tether.codec.fury;

import dev.tether.MessageTypes;
import dev.tether.codec.CodecLimits;
import dev.tether.codec.TypeDiscovery;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.fory.BaseFory;
import org.apache.fory.Fory;
import org.apache.fory.ThreadSafeFory;
import org.apache.fory.config.CompatibleMode;
import org.apache.fory.config.ForyBuilder;
import org.apache.fory.config.Int64Encoding;
import org.apache.fory.config.Language;
import org.apache.fory.config.UnknownEnumValueStrategy;

/**
 * The Fory configuration behind the {@code fury} codec: every setting that matters to the wire, to
 * safety or to speed, and the class registrations derived from a {@link MessageTypes}. Each setting
 * is made explicitly, even where it equals Fory 1.6's default, so that a change of default in a
 * later Fory release cannot change the wire format or open a hole.
 *
 * <p>Registration ids: each message type is registered under its own {@link MessageTypes} id, so
 * the id Fory writes for a message equals the frame's type id; then each of {@link
 * MessageTypes#nestedClasses()}, in order, under the largest message id plus 1, plus 2, and so on;
 * then the classes discovered from those, under the ids that follow. Both peers that build the same
 * registry therefore agree on every id by construction. Fory keeps user ids apart from its own ids
 * for JDK types, so they cannot collide; a class Fory registers itself ({@code String}, {@code
 * byte[]}, {@code ArrayList}…) keeps Fory's id and its own id goes unused.
 *
 * <p>Discovery, the same rule as the {@code kryo} codec's, so that a registry either codec accepts
 * the other accepts too: starting from every message type and nested class in that order, record
 * components (in declaration order), their type arguments ({@code List<Point>}), array element
 * types and the permitted subclasses of sealed types (sorted by name) are walked depth first; each
 * enum, record, and array of a registered class met on the way that is not yet registered is
 * registered next. Fields of non-record classes are not walked: list what a bean holds in {@code
 * nested(...)}.
 *
 * <p>Instances are immutable and thread safe.
 */
final class FuryRegistrations {
  /**
   * Fory's estimate of the heap one payload may build: collections, maps, arrays and objects,
   * without strings and byte arrays (those are checked against the bytes present instead). Fory's
   * default of 128 MiB leaves room for every message a default 16 MiB frame can hold (measured: 32
   * MiB of small records, 4 million of them, and 16 million enum values both decode) while refusing
   * a payload that would expand far more than that.
   */
  static final long MAX_GRAPH_MEMORY_BYTES = 128L * 1024 * 1024;

  /**
   * Collection elements and map entries a payload may declare without one byte each behind them.
   * Fory's default is 8,192, for elements its serializers write as nothing; the codec writes every
   * element as a byte at least ({@link ContainerSerializers}), so none may be unbacked, and a count
   * past the bytes left is refused at once.
   */
  static final int MAX_UNBACKED_CONTAINER_ITEMS = 0;

  /**
   * Fory instances in the pool. A call holds one for microseconds, so only threads inside encode or
   * decode at the same moment compete; twice the processors means a caller almost never waits. Each
   * instance costs about 150 KiB and 2 ms to build, and 10-20 ms on its first use of the registered
   * classes (the generated serializer classes themselves are shared by the whole pool).
   */
  static final int POOL_SIZE = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());

  /** Largest registration id Fory accepts for a user class: 0xFFFFFFFE. */
  private static final long MAX_FORY_ID = 0xFFFF_FFFEL;

  /** Where a registration comes from. */
  enum Source {
    /** A message type of the registry. */
    MESSAGE,
    /** A class from {@link MessageTypes#nestedClasses()}. */
    NESTED,
    /** Found by walking the record components of the classes above. */
    DISCOVERED
  }

  /** One class, the Fory id it is registered under, and where it comes from. */
  record Registration(Class<?> type, long foryId, Source source) {}

  private final MessageTypes types;
  private final List<Registration> entries;
  private final CodecLimits limits;

  private FuryRegistrations(MessageTypes types, List<Registration> entries, CodecLimits limits) {
    this.types = types;
    this.entries = entries;
    this.limits = limits;
  }

  /**
   * Derives the registrations of {@code types}: message types in ascending id, then nested classes.
   *
   * @throws IllegalArgumentException if a nested class is also a message type, or the ids would run
   *     past 0xFFFFFFFE
   */
  static FuryRegistrations of(MessageTypes types) {
    return of(types, CodecLimits.defaults());
  }

  /**
   * Derives the registrations of {@code types}, whose serializers apply {@code limits}.
   *
   * @throws IllegalArgumentException as {@link #of(MessageTypes)}
   */
  static FuryRegistrations of(MessageTypes types, CodecLimits limits) {
    List<Registration> entries = new ArrayList<>();
    Set<Class<?>> registered = new HashSet<>();
    long largestId = 0;
    for (MessageTypes.Entry entry : types.entries()) {
      entries.add(new Registration(entry.type(), entry.id(), Source.MESSAGE));
      registered.add(entry.type());
      largestId = Math.max(largestId, entry.id());
    }
    long next = largestId + 1;
    for (Class<?> nested : types.nestedClasses()) {
      MessageTypes.Entry asMessage = types.entryFor(nested);
      if (asMessage != null) {
        throw new IllegalArgumentException(
            nested.getName()
                + " is registered both as message type "
                + asMessage.id()
                + " and as a nested class; list it once");
      }
      entries.add(new Registration(nested, checkId(nested, next++), Source.NESTED));
      registered.add(nested);
    }
    List<Class<?>> roots = entries.stream().<Class<?>>map(Registration::type).toList();
    // Arrays of registered classes too: Fory would accept them unregistered, but then writes their
    // class name into the payload and logs a warning that the class may be a vulnerability.
    for (Class<?> found : TypeDiscovery.discover(roots, registered, true)) {
      entries.add(new Registration(found, checkId(found, next++), Source.DISCOVERED));
    }
    return new FuryRegistrations(types, List.copyOf(entries), limits);
  }

  private static long checkId(Class<?> type, long id) {
    if (id > MAX_FORY_ID) {
      throw new IllegalArgumentException(
          "fury codec cannot register "
              + type.getName()
              + ": its id would be "
              + id
              + ", past Fory's largest 0xFFFFFFFE; use smaller message type ids");
    }
    return id;
  }

  /** Returns the registrations in the order they are made. */
  List<Registration> entries() {
    return entries;
  }

  /** Returns the registry these registrations were derived from. */
  MessageTypes types() {
    return types;
  }

  /** Returns the limits the codec applies. */
  CodecLimits limits() {
    return limits;
  }

  /**
   * Returns a pool of {@link #POOL_SIZE} Fory instances with these registrations, whose serializers
   * for the registered classes are already generated.
   *
   * <p>A pool rather than {@code ThreadLocalFory}: senders may be any number of threads, virtual
   * threads included, and a Fory per thread would cost 2 ms and 150 KiB for each new one.
   *
   * <p>A pool for reading reads strings as string compression does, which reads everything the
   * writers (without it) write: a string's header holds its coder in two bits, Latin-1 (0), UTF-16
   * (1) or UTF-8 (2). Without it, Fory 1.6 made a {@code String} with whatever coder the payload
   * named, 3 included, which no JDK code expects: the JIT's intrinsics read it out of bounds, and a
   * fuzzed payload crashed the JVM (SIGSEGV in {@code String.compareTo}, as a {@code TreeSet} took
   * it). With it, coder 3 is an error. The price is a second pool, whose serializers are generated
   * too.
   *
   * @param reading whether the pool decodes (else it encodes)
   * @throws IllegalArgumentException if Fory cannot register or serialize one of the classes
   */
  ThreadSafeFory newThreadSafeFory(boolean reading) {
    ThreadSafeFory fory =
        configure(Fory.builder(), limits)
            .withStringCompressed(reading)
            .buildThreadSafeForyPool(POOL_SIZE);
    registerAll(fory, type -> fory.execute(f -> f.getTypeResolver().isRegistered(type)));
    ContainerSerializers.register(fory, entries(), limits);
    // Generate the serializers now, once for the whole pool (they are shared), rather than on
    // the first message of each type, where the tens of milliseconds each one takes would stall
    // an event loop and every connection on it.
    fory.execute(
        f -> {
          for (Registration registration : entries) {
            compile(f, registration.type());
          }
          return null;
        });
    return fory;
  }

  /**
   * Registers these classes with a single Fory, built from {@link #configure} or otherwise, and
   * returns it. Tests use it to build a Fory that writes what this codec reads.
   */
  Fory registerWith(Fory fory) {
    registerAll(fory, type -> fory.getTypeResolver().isRegistered(type));
    ContainerSerializers.register(fory, entries(), limits);
    return fory;
  }

  /**
   * Registers every class with {@code fory} under its id, except those Fory already registers
   * itself (such as {@code String}, {@code byte[]} or {@code ArrayList}): they are carried under
   * Fory's own ids, the same in every Fory of this version.
   */
  private void registerAll(BaseFory fory, Predicate<Class<?>> knownToFory) {
    for (Registration registration : entries) {
      Class<?> type = registration.type();
      try {
        if (!knownToFory.test(type)) {
          fory.register(type, (int) registration.foryId());
        }
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(
            "fury codec cannot register "
                + type.getName()
                + " with id "
                + registration.foryId()
                + ": "
                + e.getMessage(),
            e);
      }
    }
  }

  private static void compile(Fory fory, Class<?> type) {
    if (type.isInterface() || (Modifier.isAbstract(type.getModifiers()) && !type.isArray())) {
      return; // no instances, so no serializer of its own
    }
    try {
      fory.getSerializer(type);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "fury codec cannot serialize " + type.getName() + ": " + e.getMessage(), e);
    }
  }

  /**
   * Applies every setting to {@code builder}. Each line says why; the numbers are for a record of
   * ten fields holding a list of five records (the module's README has the whole table), measured
   * on a single Fory with OpenJDK 17.
   */
  static ForyBuilder configure(ForyBuilder builder) {
    return configure(builder, CodecLimits.defaults());
  }

  /** As {@link #configure(ForyBuilder)}, with the depth limit of {@code limits}. */
  static ForyBuilder configure(ForyBuilder builder, CodecLimits limits) {
    return builder
        // Java-native format: Tether's fury is Java to Java (PROTOCOL.md §9). Fory 1.6 defaults to
        // cross-language mode, which here was 295 bytes instead of 244, about 50% slower to encode
        // and 40-60% slower to decode.
        .withLanguage(Language.JAVA)
        // Both peers hold the same classes, so fields are written in a fixed order, with no names
        // and no type definitions: 244 bytes, against 341 in COMPATIBLE mode (which sends each
        // struct's field list with the message and parses received ones), and 25% faster to encode.
        .withCompatibleMode(CompatibleMode.SCHEMA_CONSISTENT)
        // A 4-byte hash of each struct's fields, checked on read: a peer whose record has a field
        // more or less fails with "version ... is not consistent" instead of misreading bytes. The
        // handshake fingerprint covers type names and ids, not fields, so this is the check that
        // remains. It cost 24 bytes (6 structs) and no time we could measure.
        .withClassVersionCheck(true)
        // No type definitions travel, and none may be accepted: a class that is not here is an
        // error, never a stand-in object.
        .withMetaShare(false)
        .withScopedMetaShare(false)
        .withDeserializeUnknownClass(false)
        // Only registered classes, and the JDK types Fory registers itself, are ever read or
        // written. Must stay on.
        .requireClassRegistration(true)
        // With registration required there is nothing to warn about; not suppressed, so that a
        // warning, should one ever appear, is seen.
        .suppressClassRegistrationWarnings(false)
        // Guava is not a dependency; registering its internal classes would only widen what a
        // payload may name.
        .registerGuavaTypes(false)
        .withJdkClassSerializableCheck(true)
        // The loader of this codec, not whichever thread's context loader happens to create it.
        // Registered classes are passed as Class objects; the loader only resolves the names of
        // the JDK interfaces Fory allows by name.
        .withClassLoader(FuryRegistrations.class.getClassLoader())
        // Messages are trees of records: a shared object is written once per use, and a cycle
        // fails on encode. Tracking costs an identity map per message: 40% slower to encode, 20%
        // slower to decode.
        .withRefTracking(false)
        .ignoreStringRef(true)
        .ignoreTimeRef(true)
        // Fory counts a chain of n records as n levels, as CodecLimits means them; DepthProbe
        // refuses a deeper message on encode, which Fory itself would write.
        .withMaxDepth(limits.maxDepth())
        .withMaxGraphMemoryBytes(MAX_GRAPH_MEMORY_BYTES)
        .withMaxUnbackedContainerItems(MAX_UNBACKED_CONTAINER_ITEMS)
        // Generated serializers: 3x faster than Fory's interpreter both ways. Compiled
        // synchronously, and for the registered classes when the codec is created; asynchronous
        // compilation serves first messages from the interpreter while a background thread
        // compiles, which made the first message of each type no faster here.
        .withCodegen(true)
        .withAsyncCompilation(false)
        // int as varint; long "tagged": 4 bytes when it fits in 31 bits, else 9. Java mode's
        // default, between fixed width (6% larger, 5-10% faster) and varint (7% smaller, 25%
        // slower to encode).
        .withIntCompressed(true)
        .withLongCompressed(Int64Encoding.TAGGED)
        .withIntArrayCompressed(false)
        .withLongArrayCompressed(false)
        // Off for writing: strings go out as Java holds them, Latin-1 or UTF-16 (turning it on
        // changed neither size nor speed for Latin-1 or Cyrillic text, and made Fory refuse a
        // mostly-ASCII string with half a surrogate pair). The codec's readers turn it on
        // (newThreadSafeFory): see there.
        .withStringCompressed(false)
        // Java mode's default: a UTF-8 string carries its UTF-16 size, so decoding allocates once.
        .withWriteNumUtf16BytesForUtf8Encoding(true)
        // Enums by ordinal, and an ordinal the reader does not have is an error, never null.
        .serializeEnumByName(false)
        .withUnknownEnumValueStrategy(UnknownEnumValueStrategy.NOT_ALLOWED)
        // Fory's own scratch buffer; the codec writes into Tether's buffer, so keep it small.
        .withBufferSizeLimitBytes(64 * 1024);
  }
}
