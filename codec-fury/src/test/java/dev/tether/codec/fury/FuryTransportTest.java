package dev.tether.codec.fury;

import dev.tether.testing.TransportContract;

/** Runs core's transport contract over real sockets with the {@code fury} codec. */
class FuryTransportTest extends TransportContract {
  @Override
  protected String codec() {
    return "fury";
  }
}
