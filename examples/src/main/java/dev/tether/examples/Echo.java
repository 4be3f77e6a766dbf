package dev.tether.examples;

/**
 * The one message of the echo protocol: a text and a sequence number, sent back unchanged.
 *
 * @param text any text; a request whose text starts with {@code fail:} asks the server to fail
 * @param seq a number the sender chooses, usually counting up
 */
public record Echo(String text, long seq) {}
