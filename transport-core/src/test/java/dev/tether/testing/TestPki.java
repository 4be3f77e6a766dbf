package dev.tether.testing;

import dev.tether.TlsConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificates and keys for TLS tests, made at run time (no key material is ever committed): a CA,
 * and certificates it issues for servers and clients, written as PEM files into a temporary
 * directory that is deleted when the JVM exits.
 *
 * <p>Thread safe.
 */
public final class TestPki {
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());
  private static volatile TestPki shared;

  private final String name;
  private final KeyPair caKeys;
  private final X509Certificate caCertificate;
  private final Path dir;
  private final Path caFile;

  /** A certificate this PKI issued, its private key, and both as PEM files. */
  public record Issued(KeyPair keyPair, List<X509Certificate> chain, Path keyFile, Path chainFile) {
    /** A TLS builder that presents this certificate. */
    public TlsConfig.Builder presenting() {
      return TlsConfig.builder().keyPair(keyFile, chainFile);
    }

    public X509Certificate certificate() {
      return chain.get(0);
    }
  }

  private TestPki(String name) {
    this.name = name;
    try {
      caKeys = ecKeyPair();
      Instant now = Instant.now();
      X500Name subject = new X500Name("O=Tether Tests,CN=" + name + " Test CA");
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              subject,
              BigInteger.valueOf(SERIAL.incrementAndGet()),
              Date.from(now.minus(Duration.ofHours(1))),
              Date.from(now.plus(Duration.ofDays(30))),
              subject,
              caKeys.getPublic());
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      builder.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      caCertificate = sign(builder, caKeys);
      dir = Files.createTempDirectory("tether-pki-");
      dir.toFile().deleteOnExit();
      caFile = write(name + "-ca.crt", pem("CERTIFICATE", caCertificate.getEncoded()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Returns a new CA named {@code name}, unrelated to any other. */
  public static TestPki create(String name) {
    return new TestPki(name);
  }

  /** Returns the CA most tests share, created on first use. */
  public static TestPki shared() {
    TestPki pki = shared;
    if (pki == null) {
      synchronized (TestPki.class) {
        pki = shared;
        if (pki == null) {
          shared = pki = new TestPki("shared");
        }
      }
    }
    return pki;
  }

  /** Returns the PEM file of the CA's certificate, for a side that trusts this CA. */
  public Path caFile() {
    return caFile;
  }

  public X509Certificate caCertificate() {
    return caCertificate;
  }

  /** Issues a server certificate for {@code localhost} and {@code 127.0.0.1}, valid for a day. */
  public Issued server() {
    Instant now = Instant.now();
    return issue(
        "localhost", now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(1)), "localhost");
  }

  /** Issues a client certificate with common name {@code commonName}, valid for a day. */
  public Issued client(String commonName) {
    Instant now = Instant.now();
    return issue(commonName, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(1)));
  }

  /**
   * Issues a certificate valid from {@code notBefore} to {@code notAfter}, for servers and clients
   * alike, naming {@code dnsNames} and always {@code 127.0.0.1}.
   */
  public Issued issue(String commonName, Instant notBefore, Instant notAfter, String... dnsNames) {
    try {
      KeyPair keys = ecKeyPair();
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              caCertificate,
              BigInteger.valueOf(SERIAL.incrementAndGet()),
              Date.from(notBefore),
              Date.from(notAfter),
              new X500Name("O=Tether Tests,CN=" + commonName),
              keys.getPublic());
      List<GeneralName> names = new ArrayList<>();
      for (String dns : dnsNames) {
        names.add(new GeneralName(GeneralName.dNSName, dns));
      }
      names.add(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
      builder.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(names.toArray(GeneralName[]::new)));
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      builder.addExtension(
          Extension.extendedKeyUsage,
          false,
          new ExtendedKeyUsage(
              new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      X509Certificate certificate = sign(builder, caKeys);
      String base = name + "-" + commonName + "-" + certificate.getSerialNumber();
      Path keyFile = write(base + ".key", pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
      Path chainFile =
          write(
              base + ".crt",
              pem("CERTIFICATE", certificate.getEncoded())
                  + pem("CERTIFICATE", caCertificate.getEncoded()));
      return new Issued(keys, List.of(certificate, caCertificate), keyFile, chainFile);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A server's TLS: presents a fresh server certificate and trusts this CA's clients. */
  public TlsConfig.Builder serverTls() {
    return server().presenting().trustCertificates(caFile);
  }

  /** A client's TLS: trusts this CA, presents nothing. */
  public TlsConfig.Builder clientTls() {
    return TlsConfig.builder().trustCertificates(caFile);
  }

  /** Writes {@code text} to a file in this PKI's directory, deleted at exit. */
  public Path write(String fileName, String text) throws IOException {
    Path file = dir.resolve(fileName);
    Files.writeString(file, text, StandardCharsets.US_ASCII);
    file.toFile().deleteOnExit();
    return file;
  }

  /** Encodes DER bytes as one PEM block. */
  public static String pem(String type, byte[] der) {
    String base64 =
        Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + base64 + "\n-----END " + type + "-----\n";
  }

  private static KeyPair ecKeyPair() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    return generator.generateKeyPair();
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair signer)
      throws OperatorCreationException, GeneralSecurityException {
    return new JcaX509CertificateConverter()
        .getCertificate(
            builder.build(
                new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate())));
  }
}
