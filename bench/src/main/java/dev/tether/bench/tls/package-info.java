/**
 * TLS: one-way throughput and round trip of Tether with TLS, side by side in one run with Tether
 * without TLS and with Netty, with and without its {@code SslHandler}; the JDK's TLS provider on
 * every side, TLS 1.3, and a throwaway self-signed EC certificate made by {@code keytool} at
 * set-up.
 */
package dev.tether.bench.tls;
