package dev.tether.examples;

import dev.tether.ConnectionClosedException;
import dev.tether.GoAwayCode;
import dev.tether.MessageTooLargeException;
import dev.tether.Server;
import dev.tether.Tether;
import dev.tether.TlsConfig;
import java.io.PrintStream;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The echo server of PROTOCOL.md §10: DATA Echo is answered with the same DATA Echo, REQUEST Echo
 * with a RESPONSE carrying the same Echo, or with HANDLER_FAILED when the text starts with {@code
 * fail:}.
 */
public final class EchoServer {
  /** The port echo-server and echo-client use when none is given. */
  public static final int DEFAULT_PORT = 7878;

  /** The address echo-server binds when none is given: loopback only, so nothing is exposed. */
  public static final String DEFAULT_HOST = "127.0.0.1";

  /** The name echo-server announces when none is given. */
  public static final String DEFAULT_NAME = "echo";

  static final Set<String> FLAGS =
      union(Set.of("host", "port", "codecs", "name"), TlsOptions.SERVER_FLAGS);
  static final Set<String> SWITCHES = TlsOptions.SERVER_SWITCHES;

  private static final Logger log = LoggerFactory.getLogger(EchoServer.class);

  private EchoServer() {}

  /**
   * Binds an echo server with the profile's settings and starts serving.
   *
   * @param address where to listen; port 0 picks a free port, readable from {@link
   *     Server#address()}
   * @param codecs the codecs to accept; empty accepts every codec on the class path
   * @param name the name the server announces in its WELCOME
   * @param events told, in plain words, when a client connects or leaves; called on handler threads
   */
  public static Server<Echo, Echo> start(
      SocketAddress address, List<String> codecs, String name, Consumer<String> events) {
    return start(address, codecs, name, null, events);
  }

  /**
   * Like {@link #start(SocketAddress, List, String, Consumer)}, with TLS when {@code tls} is not
   * null: only TLS clients are served, and with a {@linkplain TlsConfig#clientCertificateRequired()
   * client certificate} if it says so.
   */
  public static Server<Echo, Echo> start(
      SocketAddress address,
      List<String> codecs,
      String name,
      TlsConfig tls,
      Consumer<String> events) {
    var builder = Tether.<Echo, Echo>server(EchoProtocol.TYPES);
    if (tls != null) {
      builder.tls(tls);
    }
    return builder
        .config(EchoProtocol.serverConfig(codecs))
        .name(name)
        .onConnection(
            connection ->
                events.accept(
                    "client "
                        + hostPort(connection.peer().address())
                        + " connected, codec "
                        + connection.peer().codec()
                        + describeTls(connection.peer())))
        .onMessage(
            (connection, echo) -> {
              try {
                connection.send(echo);
              } catch (MessageTooLargeException e) {
                // PROTOCOL.md §10: an echo the client could not accept is not sent; the
                // connection stays up and later echoes go out as usual
                log.info("not echoing #{}: {}", echo.seq(), e.getMessage());
              }
            })
        .onRequest((connection, request) -> EchoProtocol.answer(request))
        .onClose(
            (connection, cause) ->
                events.accept(
                    "client " + hostPort(connection.peer().address()) + " " + describe(cause)))
        .bind(address);
  }

  /**
   * Runs the {@code echo-server} command: binds, prints {@code listening on HOST:PORT} as the only
   * line on {@code out}, and serves until the JVM is told to stop (SIGTERM, Ctrl-C). Logs go to
   * stderr. Never returns normally.
   */
  static int run(Args args, PrintStream out) throws InterruptedException {
    InetSocketAddress address =
        new InetSocketAddress(
            args.string("host", DEFAULT_HOST), args.integer("port", DEFAULT_PORT, 0, 65535));
    List<String> codecs = Main.codecs(args);
    TlsOptions.ServerTls tls = TlsOptions.server(args, address.getHostString());
    Server<Echo, Echo> server =
        start(
            address,
            codecs,
            args.string("name", DEFAULT_NAME),
            tls == null ? null : tls.config(),
            log::info);
    Runtime.getRuntime()
        .addShutdownHook(new Thread(() -> stopAndHalt(server), "echo-server-shutdown"));
    if (tls != null && tls.generated() != null) {
      // what a client pins: echo-client --tls --pin <fingerprint>
      out.println("certificate sha256 " + tls.generated().fingerprint());
    }
    out.println("listening on " + hostPort(server.address()));
    out.flush();
    log.info(
        "serving {} as '{}' with codecs {}{}; stop with SIGTERM or Ctrl-C",
        EchoProtocol.APP_PROTOCOL,
        server.name(),
        codecs,
        tls == null
            ? ""
            : ", TLS"
                + (tls.config().clientCertificateRequired() ? " with client certificates" : "")
                + (tls.generated() != null ? " (throwaway self-signed certificate)" : ""));
    new CountDownLatch(1).await(); // the shutdown hook ends the JVM
    return 0;
  }

  /**
   * Closes the server gracefully, then ends the JVM with status 0. A signal is how this server is
   * meant to stop, so a clean stop reports success instead of the JVM's usual 128 + signal number.
   */
  private static void stopAndHalt(Server<Echo, Echo> server) {
    int status = 0;
    try {
      log.info("stopping: closing {} connection(s)", server.connections().size());
      server.close();
      log.info("stopped");
    } catch (RuntimeException e) {
      log.error("graceful stop failed", e);
      status = 1;
    }
    System.out.flush();
    System.err.flush();
    Runtime.getRuntime().halt(status);
  }

  /** Describes the TLS of a connection for a log line: empty without TLS. */
  static String describeTls(dev.tether.PeerInfo peer) {
    if (peer.tlsProtocol().isEmpty()) {
      return "";
    }
    return ", "
        + peer.tlsProtocol()
        + (peer.certificates().isEmpty()
            ? ""
            : ", certificate " + peer.certificates().get(0).getSubjectX500Principal().getName());
  }

  static Set<String> union(Set<String> a, Set<String> b) {
    java.util.Set<String> all = new java.util.HashSet<>(a);
    all.addAll(b);
    return Set.copyOf(all);
  }

  /** Describes how a connection ended, for one log line. */
  static String describe(ConnectionClosedException cause) {
    return cause.code() == GoAwayCode.NORMAL
        ? "closed gracefully (" + (cause.isRemote() ? "by peer" : "locally") + ")"
        : "closed: " + cause.getMessage();
  }

  /** Formats a socket address as {@code host:port} ({@code [v6]:port}), or as text if not TCP. */
  static String hostPort(SocketAddress address) {
    if (!(address instanceof InetSocketAddress inet)) {
      return String.valueOf(address);
    }
    String host =
        inet.getAddress() == null ? inet.getHostString() : inet.getAddress().getHostAddress();
    return (inet.getAddress() instanceof Inet6Address ? "[" + host + "]" : host)
        + ":"
        + inet.getPort();
  }
}
