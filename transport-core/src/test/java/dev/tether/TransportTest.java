package dev.tether;

import dev.tether.testing.TransportContract;

/** Runs the transport contract with the built-in test codec. */
class TransportTest extends TransportContract {
  @Override
  protected String codec() {
    return "test";
  }
}
