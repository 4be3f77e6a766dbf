package dev.tether.examples;

import dev.tether.MessageTypes;
import dev.tether.Tether;
import dev.tether.TetherException;
import dev.tether.examples.Args.UsageException;
import java.io.IOException;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The entry point of {@code tether-examples.jar}: dispatches to a subcommand. Every subcommand
 * prints its usage with {@code --help} and exits 0; a bad flag prints one line naming it and exits
 * 2.
 */
public final class Main {
  /** Every subcommand, in the order {@code help} lists them. */
  static final Map<String, Command> COMMANDS = commands();

  private static final String CODECS_FLAG =
      "--codecs a,b      codecs to offer, most preferred first (default: all that can carry the"
          + " example's messages)\n";

  private Main() {}

  private static Map<String, Command> commands() {
    Map<String, Command> commands = new LinkedHashMap<>();
    for (Command command :
        List.of(
            new Command(
                "demo",
                "one connection's life between two JVMs, then every codec on the class path"
                    + " measured\nside by side (one-way stream and request/response), as a table"
                    + " and a PNG chart",
                Demo.FLAG_HELP,
                Demo.FLAGS,
                Demo.SWITCHES,
                (args, out, err) -> Demo.run(args, out)),
            new Command(
                "echo-server",
                "serve the echo protocol until stopped with SIGTERM or Ctrl-C; prints \"listening"
                    + " on HOST:PORT\"\non stdout once bound",
                """
                --host H          address to bind (default 127.0.0.1)
                --port P          TCP port; 0 picks a free one (default 7878)
                --codecs a,b      codecs to accept (default: all available)
                --name N          server name announced to clients (default echo)
                --tls             accept TLS connections only; without --key/--cert or
                                  --keystore, make a throwaway self-signed certificate and print
                                  its fingerprint ("certificate sha256 AB:CD:...") before the
                                  listening line
                --key F           PEM private key (PKCS#8, unencrypted) to present; implies --tls
                --cert F          PEM certificate chain that goes with --key
                --keystore F      PKCS#12 or JKS key store with the key and chain, instead of
                                  --key/--cert
                --keystore-password P    its password
                --trust F         PEM certificates of the CA that client certificates must lead to
                --truststore F    PKCS#12 or JKS trust store, instead of --trust
                --truststore-password P  its password
                --mtls            require a client certificate, checked against --trust or
                                  --truststore
                """,
                EchoServer.FLAGS,
                EchoServer.SWITCHES,
                (args, out, err) -> EchoServer.run(args, out)),
            new Command(
                "echo-client",
                "exchange echoes and two requests with an echo server, then close",
                """
                --host H          server host (default 127.0.0.1)
                --port P          server port (default 7878)
                --codecs a,b      codecs to offer, most preferred first (default: all available,
                                  alphabetical)
                --count N         DATA echoes to send (default 3)
                --tls             connect with TLS; without --pin, --trust or --truststore the
                                  server's certificate must lead to one of the JDK's default CAs
                                  and name --host
                --pin SHA256      trust exactly the server certificate with this SHA-256
                                  fingerprint (as echo-server --tls prints it; colons optional);
                                  implies --tls
                --trust F         PEM certificates of the CA the server's certificate must lead to
                --truststore F    PKCS#12 or JKS trust store, instead of --trust
                --truststore-password P  its password
                --server-name N   the host name the server's certificate must name (default
                                  --host)
                --key F, --cert F, --keystore F, --keystore-password P
                                  the client certificate to present to an echo-server --mtls
                --reconnect       stream the N echoes through whatever happens to the connection,
                                  reconnecting and resuming the session as needed; prints one
                                  line, "sent N received N duplicated 0 missing 0 out-of-order 0
                                  resumed K", and exits 0 only if every echo came back exactly
                                  once, in order
                """,
                EchoClient.FLAGS,
                EchoClient.SWITCHES,
                EchoClient::run),
            new Command(
                "chaos",
                "an echo server, a resuming client and a proxy between them that resets the"
                    + " connection at\nrandom; a live progress line, then a tally of every echo"
                    + " exactly once",
                """
                --count N         echoes to stream (default 100000)
                --reset-ms M      the proxy resets every 0..2M ms, M on average (default 100)
                --codecs a,b      codecs to use (default: all available)
                """,
                Chaos.FLAGS,
                Chaos::run),
            new Command(
                "rpc",
                "a key-value service with a handler per message type: typed requests, many in"
                    + " flight,\na timeout, a failing handler, and a client with an older schema"
                    + " refused",
                """
                --requests N      typed Get requests to make (default 2000)
                --concurrency C   requests in flight at once (default 16)
                """
                    + CODECS_FLAG,
                Rpc.FLAGS,
                Rpc::run),
            new Command(
                "chat",
                "a chat room: every line is broadcast to every member, encoded once; then a"
                    + " member that\nstops reading is back-pressured and misses announcements,"
                    + " while the others hear them all",
                """
                --clients N       chat members (default 4)
                --lines N         lines each member says (default 5)
                --flood N         1 KiB announcements broadcast at 4000/s while one member
                                  stops reading (default 8000)
                """
                    + CODECS_FLAG,
                Chat.FLAGS,
                Chat::run),
            new Command(
                "partitioned",
                "a word count over N partition servers: one request to all, answers merged; then"
                    + " the first\nanswer of any replica; then a partition down, its failure"
                    + " reported",
                """
                --servers N       partition servers (default 3)
                """
                    + CODECS_FLAG,
                Partitioned.FLAGS,
                Partitioned::run),
            new Command(
                "peers",
                "a pool of connections to peers by node id that survives a peer moving to a new"
                    + " port",
                """
                --peers N         peer servers (default 3)
                """
                    + CODECS_FLAG,
                Peers.FLAGS,
                Peers::run),
            new Command(
                "single-client",
                "a WAL receiver that serves one sender at a time: a restarted sender replaces"
                    + " the stale one,\nwhich is told why (GOAWAY REPLACED)",
                """
                --records N       records each sender streams (default 100)
                """
                    + CODECS_FLAG,
                SingleClient.FLAGS,
                SingleClient::run))) {
      commands.put(command.name(), command);
    }
    return commands;
  }

  /** The text {@code help} prints: every command and its one-line summary. */
  static String usage() {
    StringBuilder text =
        new StringBuilder(
            "usage: java -jar tether-examples.jar COMMAND [--flag value ...]\n\ncommands:\n");
    for (Command command : COMMANDS.values()) {
      String[] lines = command.summary().split("\n");
      text.append(String.format("  %-14s %s%n", command.name(), lines[0]));
      for (int i = 1; i < lines.length; i++) {
        text.append(String.format("  %-14s %s%n", "", lines[i]));
      }
    }
    return text.append(
            """
              help           print this text

            COMMAND --help prints the flags of a command.
            exit status: 0 success, 1 failure, 2 bad command line
            """)
        .toString();
  }

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
    if (args.length == 0) {
      err.println("tether-examples: no command given");
      err.print(usage());
      return 2;
    }
    if (Set.of("help", "-h", "--help").contains(args[0])) {
      out.print(usage());
      return 0;
    }
    Command command = COMMANDS.get(args[0]);
    if (command == null) {
      err.println("tether-examples: unknown command '" + args[0] + "'");
      err.print(usage());
      return 2;
    }
    List<String> flags = List.of(args).subList(1, args.length);
    if (flags.contains("--help") || flags.contains("-h")) {
      out.print(command.usage());
      return 0;
    }
    String prefix = "tether-examples " + command.name() + ": ";
    try {
      return command.runner().run(Args.parse(flags, command.flags(), command.switches()), out, err);
    } catch (UsageException e) {
      err.println(prefix + e.getMessage() + " (see " + command.name() + " --help)");
      return 2;
    } catch (TetherException e) {
      err.println(prefix + e.getMessage());
      return 1;
    } catch (IOException e) {
      err.println(prefix + e);
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println(prefix + "interrupted");
      return 1;
    } catch (Exception e) {
      err.println(prefix + "failed: " + e);
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
    return codecs(args, EchoProtocol.TYPES);
  }

  /**
   * Returns the {@code --codecs} of a command, or if none were given every codec on the class path
   * that can carry every type of {@code types}, in alphabetical order.
   *
   * @throws UsageException if a named codec is not on the class path or cannot carry them
   * @throws TetherException if no codec at all can carry them
   */
  static List<String> codecs(Args args, MessageTypes types) {
    List<String> available = Tether.availableCodecs(types);
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
