package dev.tether.testing;

import java.lang.reflect.Array;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;

/**
 * Equality by content at any depth: arrays element by element, sets and maps by matching entries
 * (so an array inside a hash-based container, whose hash is its identity, still matches), records
 * component by component, atomics, string builders and patterns by what they hold, and {@code
 * equals} for everything else. For values a lenient decoder built with arrays where erased generics
 * say nothing; quadratic in a set's size, so for tests.
 */
public final class DeepEquals {
  private DeepEquals() {}

  /** Returns whether {@code a} and {@code b} hold the same content. */
  public static boolean deepEquals(Object a, Object b) {
    if (a == b) {
      return true;
    }
    if (a instanceof Map.Entry<?, ?> x && b instanceof Map.Entry<?, ?> y) {
      // whatever the node class: a HashMap keeps colliding keys in tree nodes, another in plain
      // ones, depending on the order and capacity they were inserted in
      return deepEquals(x.getKey(), y.getKey()) && deepEquals(x.getValue(), y.getValue());
    }
    if (a == null || b == null || a.getClass() != b.getClass()) {
      return false;
    }
    if (a.getClass().isArray()) {
      int length = Array.getLength(a);
      if (length != Array.getLength(b)) {
        return false;
      }
      for (int i = 0; i < length; i++) {
        if (!deepEquals(Array.get(a, i), Array.get(b, i))) {
          return false;
        }
      }
      return true;
    }
    if (a instanceof Optional<?> x) {
      Optional<?> y = (Optional<?>) b;
      return x.isPresent() == y.isPresent() && (x.isEmpty() || deepEquals(x.get(), y.get()));
    }
    if (a instanceof Map<?, ?> x) {
      Map<?, ?> y = (Map<?, ?>) b;
      return x.size() == y.size() && matchAll(x.entrySet(), y.entrySet());
    }
    if (a instanceof Set<?> x) {
      Set<?> y = (Set<?>) b;
      return x.size() == y.size() && matchAll(x, y);
    }
    if (a instanceof Collection<?> x) {
      Collection<?> y = (Collection<?>) b;
      if (x.size() != y.size()) {
        return false;
      }
      Iterator<?> i = x.iterator();
      Iterator<?> j = y.iterator();
      while (i.hasNext()) {
        if (!deepEquals(i.next(), j.next())) {
          return false;
        }
      }
      return true;
    }
    // JDK types a codec may carry whose equals is identity: compared by what they hold
    if (a instanceof AtomicBoolean x) {
      return x.get() == ((AtomicBoolean) b).get();
    }
    if (a instanceof AtomicInteger x) {
      return x.get() == ((AtomicInteger) b).get();
    }
    if (a instanceof AtomicLong x) {
      return x.get() == ((AtomicLong) b).get();
    }
    if (a instanceof AtomicReference<?> x) {
      return deepEquals(x.get(), ((AtomicReference<?>) b).get());
    }
    if (a instanceof StringBuilder || a instanceof StringBuffer) {
      return a.toString().equals(b.toString());
    }
    if (a instanceof Pattern x) {
      Pattern y = (Pattern) b;
      return x.pattern().equals(y.pattern()) && x.flags() == y.flags();
    }
    if (a.getClass().isRecord()) {
      for (RecordComponent component : a.getClass().getRecordComponents()) {
        try {
          component.getAccessor().setAccessible(true);
          if (!deepEquals(component.getAccessor().invoke(a), component.getAccessor().invoke(b))) {
            return false;
          }
        } catch (ReflectiveOperationException e) {
          throw new IllegalStateException("cannot read " + component, e);
        }
      }
      return true;
    }
    return a.equals(b);
  }

  /** Whether every element of {@code x} matches a different element of {@code y}. */
  private static boolean matchAll(Collection<?> x, Collection<?> y) {
    List<Object> candidates = new ArrayList<>(y);
    boolean[] taken = new boolean[candidates.size()];
    outer:
    for (Object element : x) {
      for (int k = 0; k < taken.length; k++) {
        if (!taken[k] && deepEquals(element, candidates.get(k))) {
          taken[k] = true;
          continue outer;
        }
      }
      return false;
    }
    return true;
  }
}
