/**
 * Codec benchmarks: encode, decode and round trip through Tether's codecs, and the same library
 * called directly in the same run, so that the wrapper's overhead is a ratio.
 */
package dev.tether.bench.codec;
