/** Messages, registries and small helpers shared by the benchmarks. */
package dev.tether.bench.support;
