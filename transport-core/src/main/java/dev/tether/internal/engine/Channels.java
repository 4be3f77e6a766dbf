package dev.tether.internal.engine;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/** Opens non-blocking channels for TCP or Unix domain socket addresses. */
final class Channels {
  private Channels() {}

  static SocketChannel openClient(SocketAddress address) throws IOException {
    SocketChannel channel =
        address instanceof UnixDomainSocketAddress
            ? SocketChannel.open(StandardProtocolFamily.UNIX)
            : SocketChannel.open();
    configure(channel);
    return channel;
  }

  static ServerSocketChannel openServer(SocketAddress address) throws IOException {
    if (!(address instanceof InetSocketAddress) && !(address instanceof UnixDomainSocketAddress)) {
      throw new IllegalArgumentException(
          "address must be an InetSocketAddress or a UnixDomainSocketAddress, not " + address);
    }
    ServerSocketChannel channel =
        address instanceof UnixDomainSocketAddress
            ? ServerSocketChannel.open(StandardProtocolFamily.UNIX)
            : ServerSocketChannel.open();
    try {
      if (address instanceof InetSocketAddress) {
        channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
      }
      channel.bind(address, 1024);
      channel.configureBlocking(false);
      return channel;
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /**
   * Renders an address for messages: {@code 127.0.0.1:7878}, {@code [::1]:7878} or a socket path.
   */
  static String describe(SocketAddress address) {
    if (address instanceof InetSocketAddress inet) {
      String host = inet.getHostString();
      return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + inet.getPort();
    }
    if (address instanceof UnixDomainSocketAddress uds) {
      String path = uds.getPath().toString();
      return path.isEmpty() ? "unix socket peer" : path;
    }
    return String.valueOf(address);
  }

  static void closeQuietly(java.nio.channels.Channel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  static void configure(SocketChannel channel) throws IOException {
    channel.configureBlocking(false);
    if (channel.supportedOptions().contains(StandardSocketOptions.TCP_NODELAY)) {
      channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
    }
  }
}
