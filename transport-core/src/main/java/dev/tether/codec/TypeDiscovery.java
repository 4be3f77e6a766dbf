package dev.tether.codec;

import java.lang.reflect.GenericArrayType;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Finds the classes a registry's message types hold, for codecs that must register every class they
 * write (Kryo, Fory). The walk is depth first and deterministic, so two peers with the same {@link
 * dev.tether.MessageTypes} find the same classes in the same order and agree on registration ids by
 * construction.
 *
 * <p>It follows record components (with their type arguments), array component types and the
 * permitted subclasses of sealed types (sorted by name), and collects enums and records. Fields of
 * classes that are not records are not walked: list such classes in {@code
 * MessageTypes.Builder.nested(...)}.
 */
public final class TypeDiscovery {
  private final Set<Class<?>> registered;
  private final boolean arraysOfRegistered;
  private final Set<Class<?>> walked = new HashSet<>();
  private final List<Class<?>> found = new ArrayList<>();

  private TypeDiscovery(Set<Class<?>> registered, boolean arraysOfRegistered) {
    this.registered = registered;
    this.arraysOfRegistered = arraysOfRegistered;
  }

  /**
   * Returns the enums and records held by {@code roots}, in discovery order, that are not yet in
   * {@code registered}; adds each to {@code registered}.
   *
   * @param arraysOfRegistered whether to collect, too, array types whose component type is
   *     registered (a codec that registers arrays explicitly wants them)
   */
  public static List<Class<?>> discover(
      Iterable<Class<?>> roots, Set<Class<?>> registered, boolean arraysOfRegistered) {
    TypeDiscovery discovery = new TypeDiscovery(registered, arraysOfRegistered);
    for (Class<?> root : roots) {
      discovery.walkMembers(root);
    }
    return List.copyOf(discovery.found);
  }

  /** Walks what {@code type} holds, without collecting {@code type} itself. */
  private void walkMembers(Class<?> type) {
    if (!walked.add(type)) {
      return;
    }
    if (type.isRecord()) {
      for (RecordComponent component : type.getRecordComponents()) {
        visit(component.getGenericType());
      }
    }
    if (type.isSealed()) {
      Class<?>[] permitted = type.getPermittedSubclasses();
      Arrays.sort(permitted, Comparator.comparing(Class::getName));
      for (Class<?> subclass : permitted) {
        visit(subclass);
      }
    }
    if (type.isArray()) {
      visit(type.getComponentType());
    }
  }

  private void visit(Type type) {
    if (type instanceof Class<?> c) {
      if (c.isArray()) {
        walkMembers(c);
        if (arraysOfRegistered && registered.contains(c.getComponentType()) && registered.add(c)) {
          found.add(c);
        }
      } else if (c.isEnum() || c.isRecord()) {
        if (registered.add(c)) {
          found.add(c);
        }
        walkMembers(c);
      } else if (c.isSealed()) {
        walkMembers(c);
      }
    } else if (type instanceof ParameterizedType p) {
      visit(p.getRawType());
      for (Type argument : p.getActualTypeArguments()) {
        visit(argument);
      }
    } else if (type instanceof GenericArrayType a) {
      visit(a.getGenericComponentType());
    } else if (type instanceof WildcardType w) {
      for (Type bound : w.getUpperBounds()) {
        visit(bound);
      }
    }
  }
}
