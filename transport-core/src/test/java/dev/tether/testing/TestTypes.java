package dev.tether.testing;

import dev.tether.MessageTypes;

/** The message registry shared by the transport tests. */
public final class TestTypes {
  public static final MessageTypes TYPES =
      MessageTypes.builder("tether-test")
          .register(1, "test.Msg", Msg.class)
          .register(2, "test.Blob", Blob.class)
          .build();

  private TestTypes() {}
}
