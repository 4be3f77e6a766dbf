package dev.tether.codec.kryo;

import dev.tether.testing.KeyNestingContract;

/** Runs core's key-nesting contract against the {@code kryo} codec. */
class KryoKeyNestingTest extends KeyNestingContract {
  @Override
  protected String codecName() {
    return "kryo";
  }
}
