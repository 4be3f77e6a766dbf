/**
 * The {@code kryo} codec, built on Kryo 5: Java-only, compact and fast (PROTOCOL.md §9). Add this
 * module to the class path and Tether finds it through {@link java.util.ServiceLoader}; {@link
 * dev.tether.codec.kryo.KryoCodecProvider} describes the registration scheme and the security
 * settings. Only the provider is public.
 */
package dev.tether.codec.kryo;
