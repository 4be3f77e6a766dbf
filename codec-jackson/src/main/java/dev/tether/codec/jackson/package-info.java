/**
 * The {@code json} and {@code cbor} codecs, built on Jackson 3: the cross-language codecs of
 * PROTOCOL.md §9. Add this module to the class path and Tether finds both through {@link
 * java.util.ServiceLoader}; {@link dev.tether.codec.jackson.JsonCodecProvider} describes the data
 * model and the limits both share. Only the two providers are public.
 */
package dev.tether.codec.jackson;
