/**
 * Tether's {@code fury} codec, on Apache Fory. Found through {@link java.util.ServiceLoader};
 * nothing here is API.
 */
module dev.tether.codec.fury {
  requires dev.tether.core;
  requires org.apache.fory.core;

  provides dev.tether.codec.CodecProvider with
      dev.tether.codec.fury.FuryCodecProvider;
}
