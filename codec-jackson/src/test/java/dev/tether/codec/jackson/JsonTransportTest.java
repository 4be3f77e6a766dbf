package dev.tether.codec.jackson;

import dev.tether.testing.TransportContract;

/** Runs core's transport contract over real sockets with the {@code json} codec. */
class JsonTransportTest extends TransportContract {
  @Override
  protected String codec() {
    return "json";
  }
}
