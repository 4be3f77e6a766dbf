/**
 * Internal use only: loading TLS key and trust material (PEM files, key stores) into the JDK's
 * {@link javax.net.ssl.SSLContext}, and describing certificates in error messages. No I/O beyond
 * reading the files it is given; the engine's TLS stream lives in {@code internal.engine}.
 */
package dev.tether.internal.tls;
