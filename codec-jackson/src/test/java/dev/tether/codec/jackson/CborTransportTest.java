package dev.tether.codec.jackson;

import dev.tether.testing.TransportContract;

/** Runs core's transport contract over real sockets with the {@code cbor} codec. */
class CborTransportTest extends TransportContract {
  @Override
  protected String codec() {
    return "cbor";
  }
}
