package dev.tether.internal.engine;

/**
 * Why an array that is kept for reuse, and has a reference stored into it for every message, is
 * replaced by a new one every {@link #RENEW_STORES} stores.
 *
 * <p>Kept for good, such an array is soon in the old generation, and with G1 (the default
 * collector) storing a reference into an old array takes a memory fence in the write barrier; into
 * a young array it takes none. Measured on a 2-core AMD EPYC VM: staging and taking a received item
 * went from 16-18 to 11.5 ns once the stage's arrays were old, and framing a message of a {@code
 * sendAll} run from 16 to 11.1-11.4 ns; in a profile of a 64-byte {@code bytes} stream the stage's
 * store was 15% of the receiving loop's time (4% with the Parallel collector, which has no fence).
 * A new array every 65,536 stores costs a fraction of a byte a message, and keeps the array young
 * at any rate where the fence would show.
 */
final class YoungArrays {
  /** Reference stores into a kept array before it is replaced by a new one. */
  static final int RENEW_STORES = 1 << 16;

  private YoungArrays() {}
}
