package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.testing.Msg;
import dev.tether.testing.TestCodecProvider;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Anything unexpected on a connection's read path (here a codec that throws an {@link Error})
 * closes that connection alone, with INTERNAL_ERROR; the loop and every other connection go on.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReadPathFailureTest {
  @Test
  void anUnexpectedErrorWhileDecodingClosesOnlyThatConnection() throws Exception {
    TetherRuntime oneLoop = TetherRuntime.builder().eventLoops(1).build();
    try (oneLoop;
        Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .runtime(oneLoop)
                .codecs("test")
                .onMessage((c, m) -> c.send(m))
                .onRequest((c, m) -> m)
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> victim =
            Tether.client(TestTypes.TYPES).codecs("test").connect(server.address());
        Connection<Object, Object> bystander =
            Tether.client(TestTypes.TYPES).codecs("test").connect(server.address())) {
      victim.send(new Msg(TestCodecProvider.CODEC_BUG + " boom", 1));

      ConnectionClosedException cause =
          victim.onClose().toCompletableFuture().get(20, TimeUnit.SECONDS);
      assertThat(cause.code()).isEqualTo(GoAwayCode.INTERNAL_ERROR);
      assertThat(cause.isRemote()).isTrue();
      assertThat(cause.reason()).contains("codec test has a bug");
      for (int i = 0; i < 20; i++) {
        assertThat(bystander.request(new Msg("still here", i)).get(5, TimeUnit.SECONDS))
            .isEqualTo(new Msg("still here", i));
      }
    }
  }
}
