/**
 * The {@code fury} codec (alias {@code fory}), built on Apache Fory ({@code
 * org.apache.fory:fory-core}): Java-only, compact and fast (PROTOCOL.md §9). Add this module to the
 * class path and Tether finds it through {@link java.util.ServiceLoader}; {@link
 * dev.tether.codec.fury.FuryCodecProvider} describes the registration scheme, the settings and the
 * security limits. Only the provider is public.
 */
package dev.tether.codec.fury;
