package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.testing.Hex;
import dev.tether.testing.RawPeer;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A client's connect against a server written by hand whose answer to the HELLO is foreign or
 * malformed (PROTOCOL.md §4, §5, decision (h)): the connect fails at once with the GOAWAY code and
 * words that name what the server did, and the client tells the server the same in its GOAWAY.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HostileServerHandshakeTest {
  private static RawPeer.Welcome welcome(String codec, long fingerprint, long maxFrameSize) {
    return new RawPeer.Welcome(
        0,
        0,
        TestTypes.TYPES.appProtocol(),
        fingerprint,
        codec,
        "",
        maxFrameSize,
        0,
        0,
        new byte[0]);
  }

  private static byte[] answer(String which) {
    long fingerprint = TestTypes.TYPES.fingerprint();
    byte[] sound = welcome("test", fingerprint, 1 << 20).body();
    byte[] frame =
        switch (which) {
          case "codec" ->
              RawPeer.frame(RawPeer.WELCOME, welcome("kryo", fingerprint, 1 << 20).body());
          case "fingerprint" -> RawPeer.frame(RawPeer.WELCOME, welcome("test", 42, 1 << 20).body());
          case "limit" -> RawPeer.frame(RawPeer.WELCOME, welcome("test", fingerprint, 100).body());
          case "truncated" ->
              RawPeer.frame(RawPeer.WELCOME, java.util.Arrays.copyOf(sound, sound.length - 5));
          case "data" -> RawPeer.frame(RawPeer.DATA, Hex.decode("01 00"));
          case "huge" -> Hex.decode("000186a0 02"); // a WELCOME of 100000 bytes announced
          default -> throw new IllegalArgumentException(which);
        };
    return RawPeer.concat(RawPeer.PREAMBLE, frame);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "codec | NO_COMMON_CODEC | codec mismatch: server chose 'kryo', client offered [test]",
        "fingerprint | APP_PROTOCOL_MISMATCH | server has 'tether-test' with schema fingerprint"
            + " 000000000000002a",
        "limit | PROTOCOL_ERROR | WELCOME maxFrameSize 100 is below the minimum of 1024",
        "truncated | PROTOCOL_ERROR | truncated frame: WELCOME limits and extensions length",
        "data | PROTOCOL_ERROR | expected WELCOME or GOAWAY from the server, got DATA",
        "huge | FRAME_TOO_LARGE | frame length 100000 exceeds the limit of 65536 bytes"
      })
  void aForeignOrMalformedAnswerToTheHelloFailsTheConnectSayingWhyToBothSides(
      String which, GoAwayCode code, String words) throws Exception {
    try (ServerSocket listener =
        new ServerSocket(0, 10, java.net.InetAddress.getLoopbackAddress())) {
      CompletableFuture<Connection<Object, Object>> connecting =
          Tether.client(TestTypes.TYPES)
              .config(TestTypes.QUIET)
              .connectAsync(new InetSocketAddress("127.0.0.1", listener.getLocalPort()));
      try (RawPeer server = RawPeer.accepted(listener.accept())) {
        server.readPreamble();
        assertThat(server.readFrame().type()).isEqualTo(RawPeer.HELLO);

        server.write(answer(which));

        assertThatThrownBy(() -> connecting.get(5, TimeUnit.SECONDS))
            .isInstanceOf(ExecutionException.class)
            .cause()
            .isInstanceOfSatisfying(
                HandshakeException.class,
                e -> {
                  assertThat(e.code()).isEqualTo(code);
                  assertThat(e.isRemote()).isFalse();
                })
            .hasMessageContaining(words);
        RawPeer.GoAway told = server.readGoAway();
        assertThat(told.code()).isEqualTo(code.code());
        assertThat(told.reason()).contains(words);
        server.assertEndOfStream();
      }
    }
  }
}
