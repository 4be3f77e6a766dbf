package dev.tether;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The ordered registry of message classes a connection carries: each with a type id (1 to
 * 2<sup>31</sup>-1) and a name. Both peers must build the same registry; its {@link #fingerprint()}
 * is compared in the handshake so that a mismatch fails at connect time rather than as garbage
 * later.
 *
 * <pre>{@code
 * MessageTypes types = MessageTypes.builder("tether-echo")
 *     .register(1, "echo.Echo", Echo.class)
 *     .build();
 * }</pre>
 *
 * <p>Instances are immutable and thread safe.
 */
public final class MessageTypes {
  /** One registered message type. */
  public record Entry(int id, String name, Class<?> type) {}

  private static final int DENSE_LIMIT = 4096;

  private final String appProtocol;
  private final List<Entry> entries;
  private final List<Class<?>> nestedClasses;
  private final Map<Class<?>, Entry> byClass;
  private final Entry[] dense;
  private final int[] sortedIds;
  private final long fingerprint;

  private MessageTypes(Builder builder) {
    this.appProtocol = builder.appProtocol;
    this.entries = List.copyOf(builder.byId.values());
    this.nestedClasses = List.copyOf(builder.nested);
    Map<Class<?>, Entry> classes = new HashMap<>();
    for (Entry e : entries) {
      classes.put(e.type(), e);
    }
    this.byClass = Collections.unmodifiableMap(classes);
    int maxId = entries.isEmpty() ? 0 : entries.get(entries.size() - 1).id();
    if (maxId < DENSE_LIMIT) {
      dense = new Entry[maxId + 1];
      for (Entry e : entries) {
        dense[e.id()] = e;
      }
    } else {
      dense = null;
    }
    sortedIds = entries.stream().mapToInt(Entry::id).toArray();
    this.fingerprint = computeFingerprint(fingerprintText());
  }

  /**
   * Starts a registry for an application protocol.
   *
   * @param appProtocol the protocol name both peers must agree on, 1 to 255 bytes of UTF-8, such as
   *     {@code tether-echo}
   * @throws IllegalArgumentException if the name is empty or longer than 255 bytes
   */
  public static Builder builder(String appProtocol) {
    return new Builder(appProtocol);
  }

  /** Returns the application protocol name. */
  public String appProtocol() {
    return appProtocol;
  }

  /** Returns the registered types in ascending id order. */
  public List<Entry> entries() {
    return entries;
  }

  /**
   * Returns the extra classes used inside messages, in registration order. Codecs that register
   * classes (Kryo, Fory) register these after the message types.
   */
  public List<Class<?>> nestedClasses() {
    return nestedClasses;
  }

  /**
   * Returns the schema fingerprint of PROTOCOL.md §5: the first 8 bytes, big-endian, of the SHA-256
   * of the app protocol line, one {@code id=name} line per type in ascending id and, if any classes
   * are registered as {@link Builder#nested nested}, one {@code nested=binaryClassName} line per
   * such class in registration order (so that peers whose Kryo or Fory registrations differ are
   * refused at connect time, not misread later).
   */
  public long fingerprint() {
    return fingerprint;
  }

  /** Returns the entry for a message's exact class, or null if the class is not registered. */
  public Entry entryFor(Class<?> type) {
    return byClass.get(type);
  }

  /** Returns the entry for a type id, or null if the id is not registered. */
  public Entry entryFor(int id) {
    if (dense != null) {
      return id > 0 && id < dense.length ? dense[id] : null;
    }
    int i = Arrays.binarySearch(sortedIds, id);
    return i >= 0 ? entries.get(i) : null;
  }

  /** Returns the text the fingerprint is computed from, for diagnostics. */
  public String fingerprintText() {
    StringBuilder text = new StringBuilder(appProtocol).append('\n');
    for (Entry e : entries) {
      text.append(e.id()).append('=').append(e.name()).append('\n');
    }
    for (Class<?> nested : nestedClasses) {
      text.append("nested=").append(nested.getName()).append('\n');
    }
    return text.toString();
  }

  private static long computeFingerprint(String text) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      long value = 0;
      for (int i = 0; i < 8; i++) {
        value = (value << 8) | (digest[i] & 0xFF);
      }
      return value;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("MessageTypes[").append(appProtocol);
    for (Entry e : entries) {
      s.append(", ").append(e.id()).append('=').append(e.name());
    }
    return s.append(String.format(", fingerprint=%016x]", fingerprint)).toString();
  }

  /** Collects registrations; not thread safe. */
  public static final class Builder {
    private final String appProtocol;
    private final TreeMap<Integer, Entry> byId = new TreeMap<>();
    private final Map<Class<?>, Integer> classes = new HashMap<>();
    private final Map<String, Integer> names = new HashMap<>();
    private final LinkedHashSet<Class<?>> nested = new LinkedHashSet<>();

    private Builder(String appProtocol) {
      Objects.requireNonNull(appProtocol, "appProtocol");
      int bytes = appProtocol.getBytes(StandardCharsets.UTF_8).length;
      if (bytes < 1 || bytes > 255) {
        throw new IllegalArgumentException(
            "appProtocol must be 1..255 bytes of UTF-8, was " + bytes + ": '" + appProtocol + "'");
      }
      this.appProtocol = appProtocol;
    }

    /** Registers a message class under an id, named by its binary class name. */
    public Builder register(int id, Class<?> type) {
      return register(id, type.getName(), type);
    }

    /**
     * Registers a message class under an id and an explicit name. Cross-language peers should use
     * explicit names.
     *
     * @throws IllegalArgumentException if the id is not in 1..2<sup>31</sup>-1, or the id, name or
     *     class is already registered, or the name is empty or contains a line break
     */
    public Builder register(int id, String name, Class<?> type) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(type, "type");
      if (id <= 0) {
        throw new IllegalArgumentException("type id must be 1..2^31-1, was " + id);
      }
      if (name.isEmpty() || name.indexOf('\n') >= 0 || name.indexOf('\r') >= 0) {
        throw new IllegalArgumentException("type name must be non-empty, one line: '" + name + "'");
      }
      if (type.isPrimitive()
          || type.isInterface()
          || java.lang.reflect.Modifier.isAbstract(type.getModifiers()) && !type.isArray()) {
        throw new IllegalArgumentException(
            "register a concrete message class, not " + type.getName());
      }
      Entry previous = byId.get(id);
      if (previous != null) {
        throw new IllegalArgumentException(
            "type id " + id + " is already registered to " + previous.name());
      }
      if (classes.containsKey(type)) {
        throw new IllegalArgumentException(
            type.getName() + " is already registered with id " + classes.get(type));
      }
      if (names.containsKey(name)) {
        throw new IllegalArgumentException(
            "type name '" + name + "' is already registered with id " + names.get(name));
      }
      byId.put(id, new Entry(id, name, type));
      classes.put(type, id);
      names.put(name, id);
      return this;
    }

    /**
     * Registers classes that appear inside messages but are not sent on their own, for codecs that
     * require every class to be registered (Kryo, Fory). Order matters and must match the peer's.
     */
    public Builder nested(Class<?>... types) {
      nested.addAll(new ArrayList<>(Arrays.asList(types)));
      return this;
    }

    /**
     * Builds the immutable registry.
     *
     * @throws IllegalStateException if no message type was registered
     */
    public MessageTypes build() {
      if (byId.isEmpty()) {
        throw new IllegalStateException("register at least one message type");
      }
      return new MessageTypes(this);
    }
  }
}
