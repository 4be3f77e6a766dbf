package dev.tether.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.SocketChannel;
import org.junit.jupiter.api.Test;

/**
 * A connect to a port on this host that nothing listens on can be given that very port as its own,
 * and TCP's simultaneous open then connects the socket to itself. A reconnecting client that did so
 * would read its own HELLO back and hold the port its restarting server needs to bind (which then
 * fails with "Address already in use"). Such a socket is refused as the connect it stands for was.
 */
class SelfConnectTest {
  @Test
  void aSocketConnectedToItselfIsRefusedSayingNothingListens() throws Exception {
    try (SocketChannel channel = SocketChannel.open()) {
      channel.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      channel.connect(channel.getLocalAddress()); // what an unlucky ephemeral port comes to
      assertThat(channel.isConnected()).isTrue();

      assertThatThrownBy(() -> Channels.refuseSelfConnect(channel))
          .isInstanceOf(ConnectException.class)
          .hasMessageContaining("Connection refused")
          .hasMessageContaining(
              "nothing listens on " + Channels.describe(channel.getLocalAddress()))
          .hasMessageContaining("connected to itself");
    }
  }

  @Test
  void aSocketConnectedToAListenerIsLeftAsItIs() throws Exception {
    try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        SocketChannel channel = SocketChannel.open(listener.getLocalSocketAddress())) {
      Channels.refuseSelfConnect(channel);
      assertThat(channel.isOpen()).isTrue();
    }
  }
}
