/**
 * Request/response round trips over loopback, one at a time, sampled for percentiles: Tether, Netty
 * and blocking socket channels, in the same run.
 */
package dev.tether.bench.latency;
