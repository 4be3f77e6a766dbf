package dev.tether.examples;

import dev.tether.TlsConfig;
import dev.tether.examples.Args.UsageException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The TLS flags of echo-server and echo-client, turned into a {@link TlsConfig}. {@code --tls}
 * turns TLS on; every other TLS flag implies it.
 */
final class TlsOptions {
  /** Flags with a value that both commands take. */
  private static final Set<String> COMMON =
      Set.of(
          "key",
          "cert",
          "keystore",
          "keystore-password",
          "trust",
          "truststore",
          "truststore-password");

  static final Set<String> SERVER_FLAGS = COMMON;
  static final Set<String> SERVER_SWITCHES = Set.of("tls", "mtls");
  static final Set<String> CLIENT_FLAGS = union(COMMON, Set.of("pin", "server-name"));
  static final Set<String> CLIENT_SWITCHES = Set.of("tls");

  private TlsOptions() {}

  /**
   * The server's TLS, and the throwaway certificate it presents when it was given no key.
   *
   * @param generated null when key material was given
   */
  record ServerTls(TlsConfig config, ThrowawayCertificate generated) {}

  /**
   * Returns the server's TLS, or null without TLS flags. Without {@code --key/--cert} or {@code
   * --keystore}, a throwaway self-signed certificate for {@code host} is made.
   */
  static ServerTls server(Args args, String host) {
    if (!enabled(args, SERVER_FLAGS, SERVER_SWITCHES)) {
      return null;
    }
    TlsConfig.Builder builder;
    ThrowawayCertificate generated = null;
    if (hasKeyMaterial(args)) {
      builder = TlsConfig.builder();
      keyMaterial(args, builder);
    } else {
      generated = ThrowawayCertificate.generate("tether-echo", List.of(host));
      builder = generated.presenting();
    }
    boolean trusts = trust(args, builder);
    if (args.has("mtls")) {
      if (!trusts) {
        throw new UsageException(
            "--mtls needs the CA of the clients: --trust FILE or --truststore FILE");
      }
      builder.requireClientCertificate();
    }
    return new ServerTls(build(builder), generated);
  }

  /** Returns the client's TLS, or null without TLS flags. */
  static TlsConfig client(Args args) {
    if (!enabled(args, CLIENT_FLAGS, CLIENT_SWITCHES)) {
      return null;
    }
    TlsConfig.Builder builder = TlsConfig.builder();
    if (hasKeyMaterial(args)) {
      keyMaterial(args, builder);
    }
    if (args.given("pin")) {
      if (args.given("trust") || args.given("truststore")) {
        throw new UsageException(
            "--pin trusts one certificate: leave out --trust and --truststore");
      }
      String pin = ThrowawayCertificate.normalize(args.string("pin", ""));
      if (!pin.matches("[0-9a-f]{64}")) {
        throw new UsageException(
            "--pin must be a SHA-256 fingerprint: 64 hex digits, colons allowed");
      }
      builder.trustManager(new PinnedCertificate(pin));
    } else {
      trust(args, builder); // without either, the JDK's default CAs
    }
    if (args.given("server-name")) {
      builder.serverHostName(args.string("server-name", ""));
    }
    return build(builder);
  }

  private static boolean enabled(Args args, Set<String> flags, Set<String> switches) {
    for (String s : switches) {
      if (args.has(s)) {
        return true;
      }
    }
    for (String f : flags) {
      if (args.given(f)) {
        return true;
      }
    }
    return false;
  }

  private static boolean hasKeyMaterial(Args args) {
    return args.given("key") || args.given("cert") || args.given("keystore");
  }

  private static void keyMaterial(Args args, TlsConfig.Builder builder) {
    if (args.given("keystore")) {
      if (args.given("key") || args.given("cert")) {
        throw new UsageException("give --keystore or --key and --cert, not both");
      }
      builder.keyStore(
          Path.of(args.string("keystore", "")), args.string("keystore-password", "").toCharArray());
      return;
    }
    if (!args.given("key") || !args.given("cert")) {
      throw new UsageException("--key and --cert go together");
    }
    builder.keyPair(Path.of(args.string("key", "")), Path.of(args.string("cert", "")));
  }

  /** Adds --trust or --truststore; returns false if neither was given. */
  private static boolean trust(Args args, TlsConfig.Builder builder) {
    if (args.given("trust") && args.given("truststore")) {
      throw new UsageException("give --trust or --truststore, not both");
    }
    if (args.given("trust")) {
      builder.trustCertificates(Path.of(args.string("trust", "")));
      return true;
    }
    if (args.given("truststore")) {
      builder.trustStore(
          Path.of(args.string("truststore", "")),
          args.string("truststore-password", "").toCharArray());
      return true;
    }
    return false;
  }

  /** Builds, reporting an unreadable file as a usage problem: the command line named it. */
  private static TlsConfig build(TlsConfig.Builder builder) {
    try {
      return builder.build();
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    java.util.Set<String> all = new java.util.HashSet<>(a);
    all.addAll(b);
    return Set.copyOf(all);
  }
}
