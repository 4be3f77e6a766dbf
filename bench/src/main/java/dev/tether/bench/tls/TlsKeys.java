package dev.tether.bench.tls;

import dev.tether.TlsConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * A throwaway self-signed EC P-256 certificate for 127.0.0.1, made once per JVM with the JDK's
 * {@code keytool} (no key material is committed), and the TLS settings both transports build from
 * it: TLS 1.3 with the JDK provider.
 */
final class TlsKeys {
  private static final char[] PASSWORD = "bench-only".toCharArray();
  private static KeyStore store;

  private TlsKeys() {}

  /** Returns the key store holding the key and certificate, making it on first use. */
  static synchronized KeyStore store() {
    if (store == null) {
      store = generate();
    }
    return store;
  }

  static TlsConfig tetherServer() {
    return TlsConfig.builder().keyStore(store(), PASSWORD).build();
  }

  static TlsConfig tetherClient() {
    return TlsConfig.builder().trustStore(store()).build();
  }

  static SslContext nettyServer() {
    try {
      KeyManagerFactory keys =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keys.init(store(), PASSWORD);
      return SslContextBuilder.forServer(keys)
          .sslProvider(SslProvider.JDK)
          .protocols("TLSv1.3")
          .build();
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static SslContext nettyClient() {
    try {
      TrustManagerFactory trust =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(store());
      return SslContextBuilder.forClient()
          .sslProvider(SslProvider.JDK)
          .protocols("TLSv1.3")
          .trustManager(trust)
          .endpointIdentificationAlgorithm("HTTPS")
          .build();
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static KeyStore generate() {
    try {
      Path dir = Files.createTempDirectory("tether-bench-tls");
      Path file = dir.resolve("bench.p12");
      Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
      Process process =
          new ProcessBuilder(
                  List.of(
                      keytool.toString(),
                      "-genkeypair",
                      "-alias",
                      "bench",
                      "-keyalg",
                      "EC",
                      "-groupname",
                      "secp256r1",
                      "-dname",
                      "CN=tether-bench",
                      "-ext",
                      "san=ip:127.0.0.1,dns:localhost",
                      "-validity",
                      "2",
                      "-storetype",
                      "PKCS12",
                      "-keystore",
                      file.toString(),
                      "-storepass",
                      new String(PASSWORD),
                      "-keypass",
                      new String(PASSWORD)))
              .redirectErrorStream(true)
              .start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
        throw new IllegalStateException(keytool + " failed: " + output);
      }
      KeyStore loaded = KeyStore.getInstance(file.toFile(), PASSWORD);
      Files.delete(file);
      Files.delete(dir);
      return loaded;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run keytool (a JDK is needed, not a JRE)", e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
