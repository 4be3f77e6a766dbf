package dev.tether.testing;

/** A small test message: text and a sequence number. */
public record Msg(String text, long seq) {}
