/**
 * Tether's {@code kryo} codec, on Kryo 5. Found through {@link java.util.ServiceLoader}; nothing
 * here is API.
 */
module dev.tether.codec.kryo {
  requires dev.tether.core;
  requires com.esotericsoftware.kryo;

  provides dev.tether.codec.CodecProvider with
      dev.tether.codec.kryo.KryoCodecProvider;
}
