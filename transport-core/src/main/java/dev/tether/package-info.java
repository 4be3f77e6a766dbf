/**
 * Tether's public API: typed messaging between processes over TCP and Unix domain sockets.
 *
 * <p>Start with {@link dev.tether.Tether#server} and {@link dev.tether.Tether#client}; describe the
 * messages in a {@link dev.tether.MessageTypes}; tune limits and timeouts with {@link
 * dev.tether.TetherConfig}. Everything under {@code dev.tether.internal} is for internal use only
 * and may change without notice.
 */
package dev.tether;
