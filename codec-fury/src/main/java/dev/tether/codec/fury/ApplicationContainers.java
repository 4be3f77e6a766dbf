package dev.tether.codec.fury;

import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;

/**
 * What a collection or map class of the application's needs to be carried with the codec's checked
 * serializers: a no-arg constructor the codec can call, and no fields of its own, since only its
 * elements or entries are written (a field would arrive empty, silently).
 */
final class ApplicationContainers {
  private ApplicationContainers() {}

  /**
   * Returns {@code type}'s no-arg constructor, made accessible.
   *
   * @throws IllegalArgumentException naming the class and the reason, if it has fields of its own
   *     or no such constructor the codec can call
   */
  static Constructor<?> constructor(Class<?> type) {
    List<String> fields = new ArrayList<>();
    for (Class<?> c = type; c != null && !c.getName().startsWith("java."); c = c.getSuperclass()) {
      for (Field field : c.getDeclaredFields()) {
        int modifiers = field.getModifiers();
        if (!Modifier.isStatic(modifiers) && !Modifier.isTransient(modifiers)) {
          fields.add(field.getName());
        }
      }
    }
    if (!fields.isEmpty()) {
      throw new IllegalArgumentException(
          "fury codec cannot carry "
              + type.getName()
              + ": a collection or map class is carried as its elements only, and this one has"
              + " fields of its own "
              + fields
              + "; hold the collection in a record instead");
    }
    Constructor<?> constructor;
    try {
      constructor = type.getDeclaredConstructor();
    } catch (NoSuchMethodException e) {
      throw new IllegalArgumentException(
          "fury codec cannot carry "
              + type.getName()
              + ": a collection or map class needs a no-arg constructor, to be read into",
          e);
    }
    if (!constructor.trySetAccessible()) {
      throw new IllegalArgumentException(
          "fury codec cannot carry "
              + type.getName()
              + ": its no-arg constructor is not accessible to the codec (open its package to"
              + " the codec's module, or make the class and constructor public)");
    }
    return constructor;
  }
}
