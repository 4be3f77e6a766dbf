package dev.tether.examples;

/**
 * What the demo measured for one codec. Immutable.
 *
 * @param codec the codec's name
 * @param messagesPerSecond one-way messages delivered per second
 * @param megabytesPerSecond one-way frame bytes delivered per second, in MB (10^6 bytes)
 * @param roundTripP50Micros the median request/response round trip, in microseconds
 * @param roundTripP99Micros the 99th percentile round trip, in microseconds
 * @param encodedBytes the bytes the codec makes of one message (the frame adds a few)
 * @param carries what the codec can carry, in a few words
 */
record CodecResult(
    String codec,
    double messagesPerSecond,
    double megabytesPerSecond,
    double roundTripP50Micros,
    double roundTripP99Micros,
    int encodedBytes,
    String carries) {}
