package dev.tether.internal.engine;

/**
 * Values by {@code long} key: an open-addressing table with linear probing, so that an entry costs
 * neither a map node nor a boxed key, as a {@code ConcurrentHashMap<Long, V>} costs per outstanding
 * request. Removal shifts the entries after a removed one back, so lookups never wade through
 * tombstones; the table keeps at most three quarters of its slots full, and one that grew past
 * {@value #RETAINED_CAPACITY} slots gives its memory back when it empties, so a burst of requests
 * does not hold it afterwards. Its slots are made at the first entry.
 *
 * <p>Not thread safe: its owner guards it.
 */
final class LongTable<V> {
  private static final int INITIAL_CAPACITY = 16;

  /** Above this, an emptied table is replaced by a small one. */
  private static final int RETAINED_CAPACITY = 1024;

  /**
   * The table of one that never held anything, shared: a slot that stays empty, so that lookups
   * need no test, and no memory for a connection that never sends a request.
   */
  private static final long[] NO_KEYS = new long[1];

  private static final Object[] NO_VALUES = new Object[1];

  private long[] keys = NO_KEYS;
  private Object[] values = NO_VALUES;
  private int size;

  /** Adds or replaces the value of {@code key}; returns the value replaced, or null. */
  V put(long key, V value) {
    if (value == null) {
      throw new NullPointerException("value");
    }
    int i = find(key);
    if (i >= 0) {
      V previous = valueAt(i);
      values[i] = value;
      return previous;
    }
    if (values == NO_VALUES) {
      keys = new long[INITIAL_CAPACITY];
      values = new Object[INITIAL_CAPACITY];
    } else if (size + 1 > values.length - (values.length >> 2)) {
      rehash(values.length * 2);
    }
    int mask = values.length - 1;
    i = home(key, mask);
    while (values[i] != null) {
      i = (i + 1) & mask;
    }
    keys[i] = key;
    values[i] = value;
    size++;
    return null;
  }

  /** Returns the value of {@code key}, or null. */
  V get(long key) {
    int i = find(key);
    return i < 0 ? null : valueAt(i);
  }

  /** Removes {@code key}; returns its value, or null if it had none. */
  V remove(long key) {
    int i = find(key);
    if (i < 0) {
      return null;
    }
    V value = valueAt(i);
    removeAt(i);
    return value;
  }

  /** Removes {@code key} only if its value is {@code value} (the same object). */
  boolean remove(long key, V value) {
    int i = find(key);
    if (i < 0 || values[i] != value) {
      return false;
    }
    removeAt(i);
    return true;
  }

  int size() {
    return size;
  }

  /** Returns the keys held now, in no particular order. */
  long[] keys() {
    long[] held = new long[size];
    int n = 0;
    for (int i = 0; i < values.length; i++) {
      if (values[i] != null) {
        held[n++] = keys[i];
      }
    }
    return held;
  }

  /** The slots the table has now: its memory, for tests. */
  int capacity() {
    return values.length;
  }

  private int find(long key) {
    int mask = values.length - 1;
    for (int i = home(key, mask); values[i] != null; i = (i + 1) & mask) {
      if (keys[i] == key) {
        return i;
      }
    }
    return -1;
  }

  /**
   * Empties slot {@code i}, then moves back each entry of the run after it that may not stay where
   * it is: one whose home slot does not lie cyclically after the gap and up to itself.
   */
  private void removeAt(int i) {
    int mask = values.length - 1;
    int gap = i;
    values[gap] = null;
    size--;
    for (int j = (gap + 1) & mask; values[j] != null; j = (j + 1) & mask) {
      int home = home(keys[j], mask);
      boolean stays = gap <= j ? gap < home && home <= j : gap < home || home <= j;
      if (!stays) {
        keys[gap] = keys[j];
        values[gap] = values[j];
        values[j] = null;
        gap = j;
      }
    }
    if (size == 0 && values.length > RETAINED_CAPACITY) {
      keys = NO_KEYS;
      values = NO_VALUES;
    }
  }

  private void rehash(int capacity) {
    long[] oldKeys = keys;
    Object[] oldValues = values;
    keys = new long[capacity];
    values = new Object[capacity];
    int mask = capacity - 1;
    for (int i = 0; i < oldValues.length; i++) {
      if (oldValues[i] != null) {
        int j = home(oldKeys[i], mask);
        while (values[j] != null) {
          j = (j + 1) & mask;
        }
        keys[j] = oldKeys[i];
        values[j] = oldValues[i];
      }
    }
  }

  /** Mixes the key's bits, so that keys in steps of a power of two do not share a slot. */
  private static int home(long key, int mask) {
    long h = key * 0x9E37_79B9_7F4A_7C15L;
    return (int) (h ^ (h >>> 32)) & mask;
  }

  @SuppressWarnings("unchecked")
  private V valueAt(int i) {
    return (V) values[i];
  }

  @Override
  public String toString() {
    return "LongTable[size=" + size + ", capacity=" + values.length + "]";
  }
}
