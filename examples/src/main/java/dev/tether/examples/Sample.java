package dev.tether.examples;

/**
 * The message the demo measures codecs with: a few typed fields and an opaque payload, like a
 * metric sample or a log record.
 *
 * @param seq a sequence number
 * @param sentNanos when it was sent, on the sender's clock
 * @param source who sent it
 * @param value a measured value
 * @param payload bytes of the size the demo was asked for
 */
public record Sample(long seq, long sentNanos, String source, double value, byte[] payload) {}
