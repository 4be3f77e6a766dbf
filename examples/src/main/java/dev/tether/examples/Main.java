package dev.tether.examples;

import dev.tether.TetherException;
import dev.tether.examples.Args.UsageException;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Set;

/** The entry point of {@code tether-examples.jar}: dispatches to a subcommand. */
public final class Main {
  static final String USAGE =
      """
      usage: java -jar tether-examples.jar COMMAND [--flag value ...]

      commands:
        demo          run an echo server in this JVM and an echo client in a second JVM
            --tls          over TLS: the server makes a throwaway certificate, the client pins it
            --mtls         over mutual TLS: the client presents a throwaway certificate too
        echo-server   serve the echo protocol until stopped with SIGTERM or Ctrl-C;
                      prints "listening on HOST:PORT" on stdout once bound
            --host H       address to bind (default 127.0.0.1)
            --port P       TCP port; 0 picks a free one (default 7878)
            --codecs a,b   codecs to accept (default: all available)
            --name N       server name announced to clients (default echo)
            --tls          accept TLS connections only; without --key/--cert or --keystore,
                           make a throwaway self-signed certificate and print its fingerprint
                           ("certificate sha256 AB:CD:...") before the listening line
            --key F        PEM private key (PKCS#8, unencrypted) to present; implies --tls
            --cert F       PEM certificate chain that goes with --key
            --keystore F   PKCS#12 or JKS key store with the key and chain, instead of --key/--cert
            --keystore-password P   its password
            --trust F      PEM certificates of the CA that client certificates must lead to
            --truststore F PKCS#12 or JKS trust store, instead of --trust
            --truststore-password P its password
            --mtls         require a client certificate, checked against --trust or --truststore
        echo-client   exchange echoes and two requests with an echo server, then close
            --host H       server host (default 127.0.0.1)
            --port P       server port (default 7878)
            --codecs a,b   codecs to offer, most preferred first (default: all available,
                           alphabetical)
            --count N      DATA echoes to send (default 3)
            --tls          connect with TLS; without --pin, --trust or --truststore the server's
                           certificate must lead to one of the JDK's default CAs and name --host
            --pin SHA256   trust exactly the server certificate with this SHA-256 fingerprint
                           (as echo-server --tls prints it; colons optional); implies --tls
            --trust F      PEM certificates of the CA the server's certificate must lead to
            --truststore F PKCS#12 or JKS trust store, instead of --trust
            --truststore-password P its password
            --server-name N  the host name the server's certificate must name (default --host)
            --key F, --cert F, --keystore F, --keystore-password P
                           the client certificate to present to an echo-server --mtls
            --reconnect    stream the N echoes through whatever happens to the connection,
                           reconnecting and resuming the session as needed; prints one line,
                           "sent N received N duplicated 0 missing 0 out-of-order 0 resumed K",
                           and exits 0 only if every echo came back exactly once, in order
        chaos         an echo server, a resuming client and a proxy between them that resets the
                      connection at random; a live progress line, then the same tally line
            --count N      echoes to stream (default 100000)
            --reset-ms M   the proxy resets every 0..2M ms, M on average (default 100)
            --codecs a,b   codecs to use (default: all available)
        help          print this text

      exit status: 0 success, 1 failure, 2 bad command line
      """;

  private Main() {}

  /** Runs the command named by {@code args[0]} and exits with its status. */
  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /**
   * Runs one command, writing its results to {@code out} and problems to {@code err}.
   *
   * @return the exit status: 0 success, 1 failure, 2 bad command line
   */
  static int run(String[] args, PrintStream out, PrintStream err) {
    try {
      if (args.length == 0) {
        throw new UsageException("no command given");
      }
      List<String> flags = List.of(args).subList(1, args.length);
      return switch (args[0]) {
        case "demo" -> Demo.run(Args.parse(flags, Set.of(), Demo.SWITCHES), out);
        case "echo-server" ->
            EchoServer.run(Args.parse(flags, EchoServer.FLAGS, EchoServer.SWITCHES), out);
        case "echo-client" ->
            EchoClient.run(Args.parse(flags, EchoClient.FLAGS, EchoClient.SWITCHES), out, err);
        case "chaos" -> Chaos.run(Args.parse(flags, Chaos.FLAGS), out, err);
        case "help", "-h", "--help" -> {
          out.print(USAGE);
          yield 0;
        }
        default -> throw new UsageException("unknown command '" + args[0] + "'");
      };
    } catch (UsageException e) {
      err.println("tether-examples: " + e.getMessage());
      err.print(USAGE);
      return 2;
    } catch (TetherException e) {
      err.println("tether-examples: " + e.getMessage());
      return 1;
    } catch (IOException e) {
      err.println("tether-examples: " + e);
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println("tether-examples: interrupted");
      return 1;
    }
  }

  /**
   * Returns the {@code --codecs} of a command, or if none were given every codec on the class path
   * that can carry {@link Echo}, in alphabetical order.
   *
   * @throws UsageException if a named codec is not on the class path or cannot carry {@link Echo}
   * @throws TetherException if no codec at all can carry {@link Echo}
   */
  static List<String> codecs(Args args) {
    List<String> available = EchoProtocol.availableCodecs();
    if (available.isEmpty()) {
      throw new TetherException(
          "no codec for records on the class path; add codec-jackson, codec-kryo or codec-fury");
    }
    List<String> codecs = args.list("codecs");
    for (String codec : codecs) {
      if (!available.contains(codec)) {
        throw new UsageException("unknown codec '" + codec + "'; available: " + available);
      }
    }
    return codecs.isEmpty() ? available : codecs;
  }
}
