package dev.tether.codec.fury;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * Where Fory puts the entries of a hashed map while they are read, without hashing any key: {@link
 * #put} appends, so that the keys can be checked for shared hash codes before a real map hashes
 * them ({@link CheckedMapSerializer}). Iterates in the order the entries were read; a key read
 * twice appears twice, and the real map keeps the last value, as {@code HashMap.put} would.
 *
 * <p>This class is not thread safe; it lives for one map of one decode.
 */
final class StagingMap extends AbstractMap<Object, Object> {
  private Object[] keys;
  private Object[] values;
  private int size;

  StagingMap(int expected) {
    keys = new Object[Math.max(expected, 1)];
    values = new Object[keys.length];
  }

  @Override
  public Object put(Object key, Object value) {
    if (size == keys.length) {
      keys = Arrays.copyOf(keys, size * 2);
      values = Arrays.copyOf(values, size * 2);
    }
    keys[size] = key;
    values[size++] = value;
    return null;
  }

  @Override
  public int size() {
    return size;
  }

  /** Returns the keys read so far, in an array of which the first {@link #size()} count. */
  Object[] keys() {
    return keys;
  }

  /** Copies every entry, in order, into {@code map} and returns it. */
  <M extends Map<Object, Object>> M copyInto(M map) {
    for (int i = 0; i < size; i++) {
      map.put(keys[i], values[i]);
    }
    return map;
  }

  @Override
  public Set<Entry<Object, Object>> entrySet() {
    return new AbstractSet<>() {
      @Override
      public Iterator<Entry<Object, Object>> iterator() {
        return new Iterator<>() {
          private int next;

          @Override
          public boolean hasNext() {
            return next < size;
          }

          @Override
          public Entry<Object, Object> next() {
            if (next >= size) {
              throw new NoSuchElementException();
            }
            int i = next++;
            return new SimpleImmutableEntry<>(keys[i], values[i]);
          }
        };
      }

      @Override
      public int size() {
        return size;
      }
    };
  }
}
