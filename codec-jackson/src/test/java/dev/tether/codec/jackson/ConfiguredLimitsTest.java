package dev.tether.codec.jackson;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.Connection;
import dev.tether.Server;
import dev.tether.Tether;
import dev.tether.TetherConfig;
import dev.tether.codec.CodecException;
import dev.tether.codec.CodecLimits;
import dev.tether.testing.ContractTypes;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@link TetherConfig#codecLimits()} reaches the codec a connection uses, on both ends. */
class ConfiguredLimitsTest {
  @Test
  void aMessageDeeperThanTheConfiguredLimitIsRefusedOnTheSendersThread() throws Exception {
    TetherConfig shallow =
        TetherConfig.builder()
            .codecs("json")
            .codecLimits(CodecLimits.defaults().withMaxDepth(5))
            .build();
    try (Server<Object, Object> server =
            Tether.server(ContractTypes.TYPES)
                .config(shallow)
                .onMessage((c, m) -> c.send(m))
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(ContractTypes.TYPES).config(shallow).connect(server.address())) {
      ContractTypes.Deep deep = null;
      for (int i = 0; i < 10; i++) {
        deep = new ContractTypes.Deep(deep);
      }
      ContractTypes.Deep tooDeep = deep;

      assertThatThrownBy(() -> client.send(tooDeep))
          .isInstanceOf(CodecException.class)
          .hasMessageContaining("5");

      ContractTypes.Deep shallowEnough = new ContractTypes.Deep(new ContractTypes.Deep(null));
      client.send(shallowEnough);
      assertThat(client.receive(Duration.ofSeconds(10))).isEqualTo(shallowEnough);
    }
  }
}
