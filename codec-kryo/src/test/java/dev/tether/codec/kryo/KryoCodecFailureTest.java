package dev.tether.codec.kryo;

import dev.tether.testing.CodecFailureContract;

/** Runs core's live-connection decode-failure contract with the {@code kryo} codec. */
class KryoCodecFailureTest extends CodecFailureContract {
  @Override
  protected String codecName() {
    return "kryo";
  }
}
