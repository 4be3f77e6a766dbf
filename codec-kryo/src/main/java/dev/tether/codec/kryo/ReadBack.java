package dev.tether.codec.kryo;

import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks, when the codec is created, that a class it is asked to carry can be read back as it was
 * written; each refusal names the class and what to do.
 */
final class ReadBack {
  private ReadBack() {}

  /**
   * Refuses, when the codec is created, a class Kryo could write but not read back: a decode would
   * create it with its no-arg constructor, and there is none.
   */
  static void requireNoArgConstructor(Class<?> type, String kind) {
    if (type.isInterface() || Modifier.isAbstract(type.getModifiers())) {
      return; // never instantiated: a value's class id names a concrete class
    }
    if (!hasUsableNoArgConstructor(type)) {
      throw new IllegalArgumentException(
          "kryo codec cannot carry "
              + type.getName()
              + ": it is "
              + kind
              + " without a no-arg constructor it could be read back through"
              + (type.getName().startsWith("java.")
                  ? "; use one of the JDK classes the codec registers itself (see its README)"
                  : "; give it one, or make it a record"));
    }
  }

  /**
   * Refuses, when the codec is created, a collection or map class with fields of its own: only its
   * elements or entries are written, so the fields would arrive empty, silently.
   */
  static void requireNoFieldsOfItsOwn(Class<?> type, String kind) {
    List<String> fields = new ArrayList<>();
    for (Class<?> c = type; c != null && !c.getName().startsWith("java."); c = c.getSuperclass()) {
      for (Field field : c.getDeclaredFields()) {
        if (!Modifier.isStatic(field.getModifiers())
            && !Modifier.isTransient(field.getModifiers())) {
          fields.add(field.getName());
        }
      }
    }
    if (!fields.isEmpty()) {
      throw new IllegalArgumentException(
          "kryo codec cannot carry "
              + type.getName()
              + ": it is a "
              + kind
              + ", carried as its elements only, with fields of its own "
              + fields
              + "; hold the "
              + kind
              + " in a record instead");
    }
  }

  /** Whether Kryo's {@code DefaultInstantiatorStrategy} can call a no-arg constructor of type. */
  private static boolean hasUsableNoArgConstructor(Class<?> type) {
    try {
      Constructor<?> constructor = type.getDeclaredConstructor();
      return (Modifier.isPublic(constructor.getModifiers())
              && Modifier.isPublic(type.getModifiers()))
          || constructor.trySetAccessible();
    } catch (NoSuchMethodException e) {
      return false;
    }
  }
}
