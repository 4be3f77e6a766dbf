package dev.tether.internal.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Index arithmetic of the byte rings that hold whole frames, without a division per step: writing
 * small frames, the four divisions of a frame's length, one of its type and one to move past it
 * were a fifth of the event loop's time (perf, two-JVM one-way {@code bytes}).
 */
final class Rings {
  private static final VarHandle BIG_ENDIAN_INT =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

  private Rings() {}

  /** Returns index {@code i}, at most one lap past the end of {@code ring}, wrapped into it. */
  static int wrap(byte[] ring, int i) {
    return i >= ring.length ? i - ring.length : i;
  }

  /** Reads the big-endian int at {@code at}, which may run over the end of the ring. */
  static int readInt(byte[] ring, int at) {
    if (at + 4 <= ring.length) {
      return (int) BIG_ENDIAN_INT.get(ring, at);
    }
    int value = 0;
    for (int i = 0; i < 4; i++) {
      value = (value << 8) | (ring[wrap(ring, at + i)] & 0xFF);
    }
    return value;
  }
}
