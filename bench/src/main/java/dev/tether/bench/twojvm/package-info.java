/**
 * Two-JVM benchmarks: each system's server runs in its own JVM, started by the harness with the
 * same {@code java} and class path, and a load generator in another, as users deploy them.
 *
 * <p>{@link dev.tether.bench.twojvm.TwoJvmRun} is the harness: for every round it walks the points
 * (workload, codec, connections) and, for each point, measures every contender in turn (Tether with
 * its default configuration, Tether with handlers on the event loop, Netty, raw sockets), rotating
 * the order from round to round. Every measurement is a fresh pair of JVMs: a {@link
 * dev.tether.bench.twojvm.BenchServer} and a {@link dev.tether.bench.twojvm.LoadGenerator}. Every
 * message carries a per-connection sequence number that the receiving end checks, and the harness
 * compares what the server received with what the load generator sent, so a system that loses,
 * duplicates or reorders messages fails its measurement instead of looking fast.
 */
package dev.tether.bench.twojvm;
