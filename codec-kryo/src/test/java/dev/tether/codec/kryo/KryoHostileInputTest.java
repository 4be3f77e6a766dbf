package dev.tether.codec.kryo;

import dev.tether.testing.HostileInputContract;
import java.util.List;

/** Runs core's hostile-input contract against the {@code kryo} codec with Kryo-crafted payloads. */
class KryoHostileInputTest extends HostileInputContract {
  @Override
  protected String codecName() {
    return "kryo";
  }

  @Override
  protected List<byte[]> oversizedLengthPayloads() {
    return HostilePayloads.oversizedLengths();
  }

  @Override
  protected byte[] deeplyNestedPayload() {
    return HostilePayloads.deep(100_000);
  }

  @Override
  protected byte[] unregisteredClassPayload() {
    return HostilePayloads.unregisteredJdkClasses();
  }
}
