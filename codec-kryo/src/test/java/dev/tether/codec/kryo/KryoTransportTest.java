package dev.tether.codec.kryo;

import dev.tether.testing.TransportContract;

/** Runs core's transport contract over real sockets with the {@code kryo} codec. */
class KryoTransportTest extends TransportContract {
  @Override
  protected String codec() {
    return "kryo";
  }
}
