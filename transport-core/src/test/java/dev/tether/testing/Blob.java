package dev.tether.testing;

/** A test message with a payload of any size, for floods and size limits. */
public record Blob(long seq, byte[] data) {}
