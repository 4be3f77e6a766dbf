package dev.tether.internal.engine;

import dev.tether.codec.Codec;

/**
 * How a session's message frames are made: with {@code codec}, none longer than {@code
 * peerMaxFrameBytes}. A connection gets a new one each time a handshake completes without resuming
 * (a reconnecting client's new server may choose another codec, or accept less), and its outbound
 * buffer refuses frames made with an earlier one ({@link OutboundBuffer#STALE}): a sender that
 * framed a message, or waited for room, across the change makes the frame again. Compared by
 * identity.
 */
record Encoding(Codec codec, int peerMaxFrameBytes) {}
