package dev.tether.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.Tether;
import dev.tether.TetherConfig;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The hex examples of docs/PROTOCOL.md are what the Java library really sends. */
class ProtocolDocumentTest {
  private static final Path PROTOCOL = Path.of("..", "docs", "PROTOCOL.md");

  @Test
  void theEchoClientHelloExampleIsWhatTheEchoClientSends() throws Exception {
    String documented = hexBlockAfter("### Example: the HELLO of the echo client");
    try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<?> connecting =
          Tether.client(EchoProtocol.TYPES)
              .config(
                  TetherConfig.builder()
                      .codecs("json")
                      .heartbeatInterval(EchoClient.HEARTBEAT_INTERVAL)
                      .build())
              .connectAsync(new InetSocketAddress("127.0.0.1", listener.getLocalPort()));
      try (Socket accepted = listener.accept()) {
        DataInputStream in = new DataInputStream(accepted.getInputStream());
        in.readFully(new byte[8]); // the preamble
        int length = in.readInt();
        byte[] rest = new byte[length];
        in.readFully(rest);
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        frame.write(
            new byte[] {
              (byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length
            });
        frame.write(rest);

        assertThat(HexFormat.of().formatHex(frame.toByteArray())).isEqualTo(documented);
      }
      connecting.cancel(false);
    }
  }

  /** Returns the hex bytes of the first code block after {@code heading}, comments dropped. */
  private static String hexBlockAfter(String heading) throws Exception {
    String text = Files.readString(PROTOCOL);
    int at = text.indexOf(heading);
    assertThat(at).as("heading in PROTOCOL.md").isPositive();
    int start = text.indexOf("```", at) + 3;
    int end = text.indexOf("```", start);
    StringBuilder hex = new StringBuilder();
    Pattern bytes = Pattern.compile("^\\s*((?:[0-9a-f]{2} )*[0-9a-f]{2})(?:\\s{2,}|$)");
    for (String line : text.substring(start, end).split("\n")) {
      Matcher m = bytes.matcher(line);
      if (m.find()) {
        hex.append(m.group(1).replace(" ", ""));
      }
    }
    return hex.toString();
  }
}
