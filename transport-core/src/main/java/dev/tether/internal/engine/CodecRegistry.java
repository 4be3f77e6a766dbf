package dev.tether.internal.engine;

import dev.tether.MessageTypes;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecLimits;
import dev.tether.codec.CodecProvider;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The codecs found on the class path, and one shared codec instance per registry and name. */
public final class CodecRegistry {
  private static final Logger log = LoggerFactory.getLogger(CodecRegistry.class);

  private static volatile Map<String, CodecProvider> providers;
  private static final Map<MessageTypes, Map<String, Codec>> codecs =
      Collections.synchronizedMap(new java.util.WeakHashMap<>());

  private CodecRegistry() {}

  /** Returns providers by name and alias; names are sorted. */
  static Map<String, CodecProvider> providers() {
    Map<String, CodecProvider> p = providers;
    if (p == null) {
      synchronized (CodecRegistry.class) {
        if (providers == null) {
          providers = load();
        }
        p = providers;
      }
    }
    return p;
  }

  private static Map<String, CodecProvider> load() {
    Map<String, CodecProvider> byName = new TreeMap<>();
    ServiceLoader<CodecProvider> loader =
        ServiceLoader.load(CodecProvider.class, CodecRegistry.class.getClassLoader());
    for (var iterator = loader.iterator(); ; ) {
      CodecProvider provider;
      try {
        if (!iterator.hasNext()) {
          break;
        }
        provider = iterator.next();
      } catch (ServiceConfigurationError e) {
        log.warn("skipping a codec provider that failed to load: {}", e.toString());
        continue;
      }
      byName.putIfAbsent(provider.name(), provider);
      for (String alias : provider.aliases()) {
        byName.putIfAbsent(alias, provider);
      }
    }
    return Collections.unmodifiableMap(byName);
  }

  /** Returns the wire names of the codecs found, in alphabetical order. */
  public static List<String> availableNames() {
    List<String> names = new ArrayList<>();
    for (Map.Entry<String, CodecProvider> e : providers().entrySet()) {
      if (e.getKey().equals(e.getValue().name())) {
        names.add(e.getKey());
      }
    }
    return names;
  }

  /** Returns the wire names of the codecs that can carry {@code types}, in alphabetical order. */
  public static List<String> availableNames(MessageTypes types) {
    List<String> names = new ArrayList<>();
    for (String name : availableNames()) {
      if (providers().get(name).supports(types)) {
        names.add(name);
      }
    }
    return List.copyOf(names);
  }

  /**
   * Resolves configured names (aliases allowed) to wire names; empty means every available codec
   * that can carry {@code types}.
   *
   * @throws IllegalArgumentException naming the unknown or unsuitable codec and the available ones
   */
  static List<String> resolve(List<String> configured, MessageTypes types) {
    if (configured.isEmpty()) {
      List<String> all = availableNames(types);
      if (all.isEmpty()) {
        throw new IllegalArgumentException(
            "no codec on the class path can carry "
                + types
                + ": add a codec module such as dev.tether:codec-jackson");
      }
      return all;
    }
    List<String> names = new ArrayList<>();
    for (String name : configured) {
      CodecProvider provider = providers().get(name);
      if (provider == null) {
        throw new IllegalArgumentException(
            "codec '"
                + name
                + "' is not on the class path; available: "
                + availableNames()
                + " (add its module, e.g. dev.tether:codec-jackson for json and cbor)");
      }
      if (!provider.supports(types)) {
        throw new IllegalArgumentException(
            "codec '" + name + "' cannot carry the message types of " + types);
      }
      if (!names.contains(provider.name())) {
        names.add(provider.name());
      }
    }
    return List.copyOf(names);
  }

  /**
   * Resolves configured names like {@link #resolve} and creates each codec now, so that a codec
   * that cannot start (a missing class, a library that fails on this JDK) is found at bind or
   * connect time rather than by the first peer. A codec named in the configuration that fails is an
   * error; one taken by default is left out, with a warning.
   *
   * @throws IllegalArgumentException naming the codec and why it failed
   */
  static List<String> startable(List<String> configured, MessageTypes types, CodecLimits limits) {
    List<String> names = resolve(configured, types);
    List<String> started = new ArrayList<>();
    for (String name : names) {
      try {
        codec(name, types, limits);
        started.add(name);
      } catch (Throwable t) {
        if (!configured.isEmpty()) {
          throw new IllegalArgumentException("codec '" + name + "' failed to initialise: " + t, t);
        }
        log.warn("codec '{}' failed to initialise and is left out: {}", name, t.toString());
      }
    }
    if (started.isEmpty()) {
      throw new IllegalArgumentException(
          "no codec on the class path could be initialised for " + types);
    }
    return List.copyOf(started);
  }

  /** Returns the shared codec of this name for a registry and limits, creating it on first use. */
  static Codec codec(String name, MessageTypes types, CodecLimits limits) {
    Map<String, Codec> perTypes = codecs.computeIfAbsent(types, t -> new ConcurrentHashMap<>());
    String key = limits.equals(CodecLimits.defaults()) ? name : name + " " + limits;
    return perTypes.computeIfAbsent(key, n -> providers().get(name).create(types, limits));
  }
}
