package dev.tether.codec.fury;

import dev.tether.testing.ContractTypes;
import dev.tether.testing.HostileInputContract;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Runs core's hostile-input contract against the {@code fury} codec with Fory-crafted payloads. */
class FuryHostileInputTest extends HostileInputContract {
  @Override
  protected String codecName() {
    return "fury";
  }

  @Override
  protected List<byte[]> oversizedLengthPayloads() {
    return ForyPayloads.oversizedLengths();
  }

  @Override
  protected byte[] deeplyNestedPayload() {
    return ForyPayloads.deep(100_000);
  }

  /**
   * A {@code Collections} whose {@code names} is a {@code Collections.checkedList}: a real JDK
   * class that Fory does not register itself, written by Fory with registration off, so by name.
   */
  @Override
  protected byte[] unregisteredClassPayload() {
    List<String> checked = Collections.checkedList(new ArrayList<>(List.of("a")), String.class);
    return ForyPayloads.serializeWithoutRegistration(
        new ContractTypes.Collections(checked, null, null, null));
  }
}
