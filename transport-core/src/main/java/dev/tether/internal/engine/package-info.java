/**
 * Internal use only: the NIO engine. Event loops (one {@link java.nio.channels.Selector} per
 * thread), the per-connection state machine, the outbound ring buffer with gathering writes, the
 * bounded inbound queue and handler dispatch, and the timers. This is the only package that touches
 * selectors, channels and threads.
 */
package dev.tether.internal.engine;
