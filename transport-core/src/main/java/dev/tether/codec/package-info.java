/**
 * The codec service-provider interface: how a serialization library turns one registered message
 * into bytes and back. A codec module ships a {@link dev.tether.codec.CodecProvider} listed in
 * {@code META-INF/services/dev.tether.codec.CodecProvider}; Tether finds it by name with {@link
 * java.util.ServiceLoader} and negotiates it in the handshake. Framing, handshake, heartbeats and
 * close never pass through a codec.
 */
package dev.tether.codec;
