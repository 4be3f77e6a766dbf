package dev.tether.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/** The socket kinds every transport test runs over. */
public enum Transport {
  TCP {
    @Override
    public SocketAddress bindAddress() {
      return new InetSocketAddress("127.0.0.1", 0);
    }
  },
  UDS {
    @Override
    public SocketAddress bindAddress() {
      try {
        Path dir = Files.createTempDirectory("tether");
        dir.toFile().deleteOnExit();
        Path socket = dir.resolve("s.sock");
        socket.toFile().deleteOnExit();
        return UnixDomainSocketAddress.of(socket);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };

  /** Returns a fresh address to bind a server to. */
  public abstract SocketAddress bindAddress();
}
