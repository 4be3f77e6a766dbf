package dev.tether.internal.engine;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Opens non-blocking channels for TCP or Unix domain socket addresses. */
final class Channels {
  private static final Logger log = LoggerFactory.getLogger(Channels.class);

  /** The file type bits of a Unix file mode, and those of a socket. */
  private static final int S_IFMT = 0170000;

  private static final int S_IFSOCK = 0140000;

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
      bind(channel, address);
      channel.configureBlocking(false);
      return channel;
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /**
   * Binds. A server that died (killed, crashed, its machine reset) leaves its Unix socket file
   * behind, and a bind to the path fails while the file is there; a server restarted on the path
   * expects to get it, so a socket file that nobody listens on (a connect to it is refused) is
   * removed and the bind tried again. A path that is not a socket file, or one a server listens on,
   * is left as it is, and the bind fails saying so.
   */
  private static void bind(ServerSocketChannel channel, SocketAddress address) throws IOException {
    try {
      channel.bind(address, 1024);
    } catch (BindException e) {
      if (!(address instanceof UnixDomainSocketAddress unix)) {
        throw e;
      }
      removeStaleSocketFile(unix, e);
      channel.bind(address, 1024);
    }
  }

  /** Removes the socket file of {@code address} if nobody listens on it; else throws why not. */
  private static void removeStaleSocketFile(UnixDomainSocketAddress address, BindException failed)
      throws IOException {
    Path path = address.getPath();
    if (!isSocketFile(path)) {
      throw new BindException("the path exists and is not a socket (" + failed.getMessage() + ")");
    }
    try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      probe.configureBlocking(false); // a listener with a full backlog must not hold the bind up
      probe.connect(address);
    } catch (ConnectException refused) {
      Files.deleteIfExists(path);
      log.info("removed {}: a socket file that no server listens on (one that died left it)", path);
      return;
    }
    throw new BindException(
        "another server is listening on this socket (" + failed.getMessage() + ")");
  }

  /**
   * Returns what tells the socket file of a Unix socket address apart from another at the same path
   * (its device and inode), or null if there is none: no file, TCP, or no such key here.
   */
  static Object socketFileKey(SocketAddress address) {
    if (!(address instanceof UnixDomainSocketAddress unix)) {
      return null;
    }
    try {
      return Files.readAttributes(
              unix.getPath(),
              java.nio.file.attribute.BasicFileAttributes.class,
              java.nio.file.LinkOption.NOFOLLOW_LINKS)
          .fileKey();
    } catch (IOException | UnsupportedOperationException e) {
      return null;
    }
  }

  private static boolean isSocketFile(Path path) {
    try {
      Object mode = Files.getAttribute(path, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS);
      return mode instanceof Integer m && (m & S_IFMT) == S_IFSOCK;
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return false; // no Unix file modes here: never remove what cannot be told to be a socket
    }
  }

  /**
   * Refuses a TCP socket connected to itself, as the connect it stands for was refused. A connect
   * to a port on this host that nothing listens on can be given that very port as its own ephemeral
   * one, and TCP's simultaneous open then connects the socket to itself: a client would read its
   * own HELLO back, and would hold the port its restarting server needs to bind ("Address already
   * in use"). Go's {@code net.Dial} makes the same check.
   */
  static void refuseSelfConnect(SocketChannel channel) throws IOException {
    if (channel.getLocalAddress() instanceof InetSocketAddress local
        && local.equals(channel.getRemoteAddress())) {
      throw new ConnectException(
          "Connection refused (nothing listens on "
              + describe(local)
              + ": the socket connected to itself)");
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
