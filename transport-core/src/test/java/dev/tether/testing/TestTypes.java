package dev.tether.testing;

import dev.tether.MessageTypes;
import dev.tether.TetherConfig;
import java.time.Duration;

/** The message registry and configuration shared by the transport tests. */
public final class TestTypes {
  public static final MessageTypes TYPES =
      MessageTypes.builder("tether-test")
          .register(1, "test.Msg", Msg.class)
          .register(2, "test.Blob", Blob.class)
          .build();

  /**
   * The test codec, with no heartbeat and no idle timeout: nothing but what a test sends crosses
   * its connections, and a test that holds a loop or a handler for a while is not cut off for it.
   */
  public static final TetherConfig QUIET =
      TetherConfig.builder()
          .codecs("test")
          .heartbeatInterval(Duration.ZERO)
          .idleTimeout(Duration.ZERO)
          .build();

  private TestTypes() {}
}
