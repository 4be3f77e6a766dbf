package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.testing.Msg;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What {@link TetherRuntime#close()} promises about the threads it started. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RuntimeCloseTest {

  /**
   * Once close returns, no thread of the runtime is left: neither its loops nor the threads of the
   * handler pool it made, even one that was still running a handler when the close began, so that
   * an application (or a test) that checks for leaked threads after closing sees none.
   */
  @Test
  void noThreadOfTheRuntimeOutlivesItsClose() throws Exception {
    String prefix = "runtime-close";
    TetherRuntime runtime = TetherRuntime.builder().eventLoops(2).threadNamePrefix(prefix).build();
    TetherConfig config = TetherConfig.builder().codecs("test").handlersOnPool().build();
    CountDownLatch working = new CountDownLatch(1);
    Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .config(config)
            .runtime(runtime)
            .onMessage(
                (c, m) -> {
                  working.countDown();
                  LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(300)); // the work
                })
            .bind(new InetSocketAddress("127.0.0.1", 0));
    Connection<Object, Object> client =
        Tether.client(TestTypes.TYPES).config(config).runtime(runtime).connect(server.address());
    client.send(new Msg("work", 1));
    assertThat(working.await(10, TimeUnit.SECONDS)).isTrue();

    runtime.close();

    assertThat(threadsNamed(prefix)).as("threads of the runtime left after its close").isEmpty();
    assertThat(server.connections()).isEmpty();
    assertThat(client.isOpen()).isFalse();
  }

  private static List<String> threadsNamed(String prefix) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().startsWith(prefix))
        .map(Thread::getName)
        .toList();
  }
}
