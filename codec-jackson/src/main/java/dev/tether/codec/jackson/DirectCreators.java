package dev.tether.codec.jackson;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import tools.jackson.databind.BeanDescription;
import tools.jackson.databind.DeserializationConfig;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.deser.ValueInstantiator;
import tools.jackson.databind.deser.std.StdValueInstantiator;
import tools.jackson.databind.introspect.AnnotatedConstructor;
import tools.jackson.databind.introspect.AnnotatedMethod;
import tools.jackson.databind.introspect.AnnotatedWithParams;
import tools.jackson.databind.module.SimpleValueInstantiators;

/**
 * Calls the constructor (or static factory) that builds a record or a {@code @JsonCreator} class
 * through a method handle made once per type, instead of Jackson 3's {@code
 * MethodHandle.invokeWithArguments} per object, which adapts the handle to the argument array again
 * on every call: in the two-JVM json bench a fifth of the decoding loop's samples were in {@code
 * java.lang.invoke} building and interning {@code MethodType}s for a two-component record.
 *
 * <p>Only Jackson's own instantiator of a type with a properties-based creator is replaced, and by
 * a copy of it that differs in that one call; a failure in the creator is reported exactly as
 * Jackson reports it. A creator that cannot be looked up (not accessible) keeps Jackson's path.
 */
final class DirectCreators extends SimpleValueInstantiators {
  private static final long serialVersionUID = 1L;

  private static final MethodType SPREAD = MethodType.methodType(Object.class, Object[].class);

  @Override
  public ValueInstantiator modifyValueInstantiator(
      DeserializationConfig config,
      BeanDescription.Supplier beanDescRef,
      ValueInstantiator defaultInstantiator) {
    if (defaultInstantiator.getClass() != StdValueInstantiator.class
        || !defaultInstantiator.canCreateFromObjectWith()) {
      return defaultInstantiator;
    }
    StdValueInstantiator std = (StdValueInstantiator) defaultInstantiator;
    MethodHandle creator = spreadHandle(std.getWithArgsCreator());
    return creator == null ? defaultInstantiator : new Direct(std, creator);
  }

  /**
   * Returns the {@code (Object[]) -> Object} handle that {@code instantiator} calls its creator
   * with, arguments in the creator's order, or null if it is not one of ours.
   */
  static MethodHandle handleOf(ValueInstantiator instantiator) {
    return instantiator instanceof Direct direct ? direct.creator : null;
  }

  /** Returns {@code (Object[]) -> Object} for the creator, or null to leave it to Jackson. */
  private static MethodHandle spreadHandle(AnnotatedWithParams creator) {
    try {
      MethodHandle handle;
      if (creator instanceof AnnotatedConstructor c) {
        Constructor<?> constructor = c.getAnnotated();
        handle = MethodHandles.lookup().unreflectConstructor(constructor);
      } else if (creator instanceof AnnotatedMethod m
          && Modifier.isStatic(m.getAnnotated().getModifiers())) {
        Method factory = m.getAnnotated();
        handle = MethodHandles.lookup().unreflect(factory);
      } else {
        return null;
      }
      return handle.asSpreader(Object[].class, creator.getParameterCount()).asType(SPREAD);
    } catch (IllegalAccessException | RuntimeException e) {
      return null; // Jackson's own path reports whatever is wrong, in its words
    }
  }

  /** Jackson's instantiator, with the creator called through a handle adapted once. */
  private static final class Direct extends StdValueInstantiator {
    private final transient MethodHandle creator;

    Direct(StdValueInstantiator src, MethodHandle creator) {
      super(src);
      this.creator = creator;
    }

    @Override
    public Object createFromObjectWith(DeserializationContext ctxt, Object[] args) {
      try {
        return (Object) creator.invokeExact(args);
      } catch (Error e) {
        throw e;
      } catch (Throwable t) {
        // as StdValueInstantiator does with what its creator throws
        return ctxt.handleInstantiationProblem(_valueClass, args, rewrapCtorProblem(ctxt, t));
      }
    }
  }
}
