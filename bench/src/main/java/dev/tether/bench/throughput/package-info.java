/**
 * One-way pipelined throughput over loopback TCP: Tether, Netty and plain socket channels, in the
 * same run. Each invocation sends a batch and waits until the receiver has counted all of it, so
 * the data in flight stays bounded.
 */
package dev.tether.bench.throughput;
