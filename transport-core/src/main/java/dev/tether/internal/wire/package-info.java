/**
 * Internal use only: the wire format of PROTOCOL.md as pure code over {@link java.nio.ByteBuffer}.
 * Nothing here does I/O or owns a thread; every parser is incremental and checks each length
 * against its limit and against the bytes remaining before it allocates.
 */
package dev.tether.internal.wire;
