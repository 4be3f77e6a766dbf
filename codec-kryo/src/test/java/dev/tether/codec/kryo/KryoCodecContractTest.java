package dev.tether.codec.kryo;

import dev.tether.testing.CodecContract;

/** Runs core's codec contract against the {@code kryo} codec, Instant and UUID included. */
class KryoCodecContractTest extends CodecContract {
  @Override
  protected String codecName() {
    return "kryo";
  }
}
