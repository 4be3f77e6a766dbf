package dev.tether.testing;

import dev.tether.MessageTypes;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecLimits;
import dev.tether.codec.CodecProvider;
import dev.tether.codec.EncodeBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds the codec a contract test names the way Tether itself does, through {@link ServiceLoader},
 * and creates it for {@link ContractTypes#TYPES}. A codec is created once per name and shared, as
 * Tether shares it between connections.
 */
public final class ContractCodecs {
  private static final Map<String, Codec> CODECS = new ConcurrentHashMap<>();
  private static final Map<Key, Codec> CONFIGURED = new ConcurrentHashMap<>();

  private record Key(String name, MessageTypes types, CodecLimits limits) {}

  private ContractCodecs() {}

  /**
   * Returns the provider whose name or one of whose aliases is {@code name}.
   *
   * @throws AssertionError if no provider on the class path answers to the name
   */
  public static CodecProvider provider(String name) {
    List<CodecProvider> providers =
        ServiceLoader.load(CodecProvider.class).stream().map(ServiceLoader.Provider::get).toList();
    return providers.stream()
        .filter(p -> p.name().equals(name) || p.aliases().contains(name))
        .findFirst()
        .orElseThrow(
            () ->
                new AssertionError(
                    "no CodecProvider named '"
                        + name
                        + "' in META-INF/services/dev.tether.codec.CodecProvider on the class"
                        + " path; found "
                        + providers.stream().map(CodecProvider::name).toList()));
  }

  /** Returns the codec named {@code name}, created for {@link ContractTypes#TYPES}. */
  public static Codec codec(String name) {
    return CODECS.computeIfAbsent(name, n -> provider(n).create(ContractTypes.TYPES));
  }

  /**
   * Returns the codec named {@code name}, created for {@code types} with {@code limits}; one per
   * combination, shared like the others.
   */
  public static Codec codec(String name, MessageTypes types, CodecLimits limits) {
    return CONFIGURED.computeIfAbsent(
        new Key(name, types, limits), k -> provider(k.name()).create(k.types(), k.limits()));
  }

  /** Encodes {@code message} into a fresh buffer and returns exactly the bytes written. */
  public static byte[] encode(Codec codec, Object message) {
    EncodeBuffer out = new EncodeBuffer(64);
    codec.encode(message, out);
    return Arrays.copyOf(out.array(), out.position());
  }

  /**
   * Encodes {@code message}, decodes the payload from a heap buffer and from a direct one, checks
   * that both give the same value, and returns it.
   */
  public static Object roundTrip(Codec codec, Object message) {
    byte[] payload = encode(codec, message);
    Object heap = codec.decode(message.getClass(), BufferLayout.HEAP.place(payload));
    Object direct = codec.decode(message.getClass(), BufferLayout.DIRECT.place(payload));
    if (!Objects.equals(heap, direct)) {
      throw new AssertionError(
          "decoded from a heap buffer: " + heap + "; from a direct buffer: " + direct);
    }
    return heap;
  }
}
