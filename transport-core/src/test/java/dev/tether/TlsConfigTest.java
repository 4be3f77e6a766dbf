package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.testing.TestPki;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Building a {@link TlsConfig}: what it accepts, and how each mistake is reported. */
class TlsConfigTest {
  private final TestPki pki = TestPki.shared();

  @TempDir Path dir;

  @Test
  void defaultsToTls13AloneWithNothingRequired() {
    TlsConfig config = pki.clientTls().build();

    assertThat(config.protocols()).containsExactly("TLSv1.3");
    assertThat(config.clientCertificateRequired()).isFalse();
    assertThat(config.serverHostName()).isEmpty();
    assertThat(config.hasKeyMaterial()).isFalse();
    assertThat(config.sslContext().getProtocol()).isEqualTo("TLS");
  }

  @Test
  void readsAPemKeyPairAndAPkcs12KeyStoreAlike() throws Exception {
    TestPki.Issued issued = pki.server();
    assertThat(issued.presenting().build().hasKeyMaterial()).isTrue();

    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    char[] password = "changeit".toCharArray();
    store.setKeyEntry(
        "server",
        issued.keyPair().getPrivate(),
        password,
        issued.chain().toArray(Certificate[]::new));
    Path file = dir.resolve("server.p12");
    try (var out = java.nio.file.Files.newOutputStream(file)) {
      store.store(out, password);
    }
    assertThat(TlsConfig.builder().keyStore(file, password).build().hasKeyMaterial()).isTrue();
    assertThatThrownBy(() -> TlsConfig.builder().keyStore(file, "wrong".toCharArray()).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cannot load the key store " + file)
        .hasMessageContaining("is the password right?");
  }

  @Test
  void aKeyThatIsNotTheCertificatesIsRefusedNamingBothFiles() {
    TestPki.Issued one = pki.client("one");
    TestPki.Issued other = pki.client("other");

    assertThatThrownBy(() -> TlsConfig.builder().keyPair(one.keyFile(), other.chainFile()).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("the private key " + one.keyFile())
        .hasMessageContaining("does not belong to the first certificate of " + other.chainFile())
        .hasMessageContaining("CN=other");
  }

  @Test
  void keyFormatsItCannotReadAreRefusedWithTheCommandThatConvertsThem() throws Exception {
    Path chain = pki.server().chainFile();
    Path encrypted = pki.write("encrypted.key", TestPki.pem("ENCRYPTED PRIVATE KEY", new byte[8]));
    Path traditional = pki.write("rsa.key", TestPki.pem("RSA PRIVATE KEY", new byte[8]));
    Path none = pki.write("none.key", "not a key\n");

    assertThatThrownBy(() -> TlsConfig.builder().keyPair(encrypted, chain).build())
        .hasMessageContaining("holds an encrypted private key")
        .hasMessageContaining("openssl pkcs8");
    assertThatThrownBy(() -> TlsConfig.builder().keyPair(traditional, chain).build())
        .hasMessageContaining("RSA PRIVATE KEY in the traditional format")
        .hasMessageContaining("openssl pkcs8 -topk8 -nocrypt");
    assertThatThrownBy(() -> TlsConfig.builder().keyPair(none, chain).build())
        .hasMessageContaining("holds no PEM private key");
    assertThatThrownBy(() -> TlsConfig.builder().keyPair(dir.resolve("missing.key"), chain).build())
        .hasMessageContaining("cannot read " + dir.resolve("missing.key"));
  }

  @Test
  void aTrustFileWithoutCertificatesIsRefused() throws Exception {
    Path empty = pki.write("empty.crt", "");

    assertThatThrownBy(() -> TlsConfig.builder().trustCertificates(empty).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(empty + " holds no certificate");
  }

  @Test
  void sourcesThatContradictEachOtherAreRefused() throws Exception {
    TestPki.Issued issued = pki.server();
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);

    assertThatThrownBy(() -> issued.presenting().keyStore(store, new char[0]).build())
        .hasMessageContaining("either keyPair or keyStore");
    assertThatThrownBy(
            () -> TlsConfig.builder().trustCertificates(pki.caFile()).trustStore(store).build())
        .hasMessageContaining("one of trustCertificates, trustStore and trustManager");
    assertThatThrownBy(
            () ->
                TlsConfig.builder()
                    .sslContext(SSLContext.getDefault())
                    .trustCertificates(pki.caFile())
                    .build())
        .hasMessageContaining("sslContext carries its own key and trust material");
  }

  @Test
  void aWholeSslContextIsTakenAsItIsWithTheOtherSettings() throws Exception {
    TlsConfig config =
        TlsConfig.builder()
            .sslContext(SSLContext.getDefault())
            .protocols("TLSv1.3", "TLSv1.2")
            .serverHostName("db.example")
            .requireClientCertificate()
            .build();

    assertThat(config.sslContext()).isSameAs(SSLContext.getDefault());
    assertThat(config.protocols()).containsExactly("TLSv1.3", "TLSv1.2");
    assertThat(config.serverHostName()).hasValue("db.example");
    assertThat(config.clientCertificateRequired()).isTrue();
    assertThat(config.hasKeyMaterial()).isTrue();
  }
}
