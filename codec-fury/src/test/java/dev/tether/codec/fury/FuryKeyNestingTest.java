package dev.tether.codec.fury;

import dev.tether.testing.KeyNestingContract;

/** Runs core's key-nesting contract against the {@code fury} codec. */
class FuryKeyNestingTest extends KeyNestingContract {
  @Override
  protected String codecName() {
    return "fury";
  }
}
