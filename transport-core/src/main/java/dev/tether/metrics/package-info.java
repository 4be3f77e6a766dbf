/**
 * Optional Micrometer integration. Classes here need {@code io.micrometer:micrometer-core} on the
 * class path, which transport-core declares as an optional dependency: add it to use them.
 */
package dev.tether.metrics;
