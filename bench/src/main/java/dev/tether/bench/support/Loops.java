package dev.tether.bench.support;

/**
 * The thread count both transports get: Tether's own default, so the comparison is like for like.
 */
public final class Loops {
  private Loops() {}

  public static int count() {
    return Math.max(2, Math.min(8, Runtime.getRuntime().availableProcessors()));
  }
}
