/**
 * Internal use only: the machinery behind {@link dev.tether.PeerPool} — one {@link
 * dev.tether.internal.cluster.PeerLink} per peer that keeps a connection to it, and the retry delay
 * that keeps a down peer from being hammered.
 */
package dev.tether.internal.cluster;
