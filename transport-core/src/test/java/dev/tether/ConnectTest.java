package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.tether.testing.Msg;
import dev.tether.testing.RawPeer;
import dev.tether.testing.TestTypes;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code connect} ends within its timeouts whatever happens, and a connect the caller gave up on
 * (cancelled, timed out, interrupted) leaves no live connection behind.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConnectTest {
  private static final TetherConfig QUICK =
      TetherConfig.builder()
          .codecs("test")
          .connectTimeout(Duration.ofSeconds(1))
          .handshakeTimeout(Duration.ofSeconds(1))
          .build();

  @Test
  void aNameThatDoesNotResolveFailsWithinTheTimeouts() {
    InetSocketAddress nowhere =
        InetSocketAddress.createUnresolved("tether-no-such-host.invalid", 7878);

    // the old engine swallowed UnresolvedAddressException on the loop and waited forever
    assertTimeoutPreemptively(
        Duration.ofSeconds(10),
        () ->
            assertThatThrownBy(() -> Tether.client(TestTypes.TYPES).config(QUICK).connect(nowhere))
                .isInstanceOf(TetherException.class)
                .hasMessageContaining("tether-no-such-host.invalid"));
  }

  @Test
  void aNameThatResolvesIsConnected() throws Exception {
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .codecs("test")
                .onRequest((c, m) -> m)
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES)
                .config(QUICK)
                .connect(
                    InetSocketAddress.createUnresolved(
                        "localhost", ((InetSocketAddress) server.address()).getPort()))) {
      assertThat(client.request(new Msg("hi", 1)).get(10, TimeUnit.SECONDS))
          .isEqualTo(new Msg("hi", 1));
    }
  }

  @Test
  void aCancelledConnectClosesTheConnectionItWouldHaveDelivered() throws Exception {
    try (ServerSocket listener =
        new ServerSocket(0, 10, java.net.InetAddress.getLoopbackAddress())) {
      CompletableFuture<Connection<Object, Object>> connecting =
          Tether.client(TestTypes.TYPES)
              .codecs("test")
              .connectAsync(new InetSocketAddress("127.0.0.1", listener.getLocalPort()));
      try (Socket accepted = listener.accept()) {
        accepted.setSoTimeout(10_000);
        DataInputStream in = new DataInputStream(accepted.getInputStream());
        readPreambleAndHello(in);

        connecting.cancel(false);
        welcome(accepted);

        assertThat(readsToEndOfStream(accepted.getInputStream()))
            .as("the client closes the connection nobody wants")
            .isTrue();
      }
    }
  }

  @Test
  void aConnectInterruptedWhileWaitingLeavesNoConnectionBehind() throws Exception {
    try (ServerSocket listener =
        new ServerSocket(0, 10, java.net.InetAddress.getLoopbackAddress())) {
      AtomicReference<Throwable> failure = new AtomicReference<>();
      CountDownLatch done = new CountDownLatch(1);
      Thread caller =
          new Thread(
              () -> {
                try {
                  Tether.client(TestTypes.TYPES)
                      .codecs("test")
                      .connect(new InetSocketAddress("127.0.0.1", listener.getLocalPort()));
                } catch (Throwable t) {
                  failure.set(t);
                } finally {
                  done.countDown();
                }
              });
      caller.start();
      try (Socket accepted = listener.accept()) {
        accepted.setSoTimeout(10_000);
        readPreambleAndHello(new DataInputStream(accepted.getInputStream()));

        caller.interrupt();
        assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(failure.get())
            .isInstanceOf(TetherException.class)
            .hasMessageContaining("interrupted");
        welcome(accepted);

        assertThat(readsToEndOfStream(accepted.getInputStream())).isTrue();
      }
    }
  }

  @Test
  void aSilentServerFailsTheConnectAfterTheHandshakeTimeout() throws Exception {
    try (ServerSocket listener =
        new ServerSocket(0, 10, java.net.InetAddress.getLoopbackAddress())) {
      long start = System.nanoTime();
      assertThatThrownBy(
              () ->
                  Tether.client(TestTypes.TYPES)
                      .config(QUICK)
                      .connect(new InetSocketAddress("127.0.0.1", listener.getLocalPort())))
          .isInstanceOf(TetherException.class)
          .hasMessageContaining("handshake timeout");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
      try (Socket accepted = listener.accept()) {
        accepted.setSoTimeout(10_000);
        assertThat(readsToEndOfStream(accepted.getInputStream())).isTrue();
      }
    }
  }

  private static void readPreambleAndHello(DataInputStream in) throws IOException {
    byte[] preamble = new byte[8];
    in.readFully(preamble);
    assertThat(preamble).isEqualTo(RawPeer.PREAMBLE);
    int length = in.readInt();
    in.readFully(new byte[length]);
  }

  private static void welcome(Socket socket) throws IOException {
    socket.getOutputStream().write(RawPeer.preambleAndWelcome(TestTypes.TYPES, "test"));
  }

  /** Reads (and drops) what arrives until end of stream; false if none came within the timeout. */
  private static boolean readsToEndOfStream(InputStream in) throws IOException {
    byte[] buffer = new byte[4096];
    try {
      while (true) {
        if (in.read(buffer) < 0) {
          return true;
        }
      }
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset: closed as well
    }
  }
}
