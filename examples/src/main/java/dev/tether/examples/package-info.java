/**
 * Runnable programs built on Tether: the echo service of PROTOCOL.md §10 as a server and a client,
 * and the demo that runs both. {@link dev.tether.examples.Main} is the entry point of {@code
 * tether-examples.jar}.
 */
package dev.tether.examples;
