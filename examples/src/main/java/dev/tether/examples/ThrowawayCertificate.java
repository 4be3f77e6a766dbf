package dev.tether.examples;

import dev.tether.TlsConfig;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
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
 * A self-signed certificate and its key, made at start-up for a demo or a first try of TLS: never
 * written anywhere unless asked, never reused, valid for a week. Its SHA-256 fingerprint is what a
 * client pins ({@code echo-client --tls --pin ...}) in place of a CA.
 */
final class ThrowawayCertificate {
  private static final Duration VALIDITY = Duration.ofDays(7);
  private static final char[] STORE_PASSWORD = "throwaway".toCharArray();

  private final KeyPair keys;
  private final X509Certificate certificate;

  private ThrowawayCertificate(KeyPair keys, X509Certificate certificate) {
    this.keys = keys;
    this.certificate = certificate;
  }

  /**
   * Makes an EC P-256 key and a self-signed certificate for {@code commonName}, naming {@code
   * localhost}, the loopback addresses and {@code hosts} (host names or IP addresses).
   */
  static ThrowawayCertificate generate(String commonName, Collection<String> hosts) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      KeyPair keys = generator.generateKeyPair();
      Instant now = Instant.now();
      X500Name name = new X500Name("CN=" + commonName);
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              name,
              new BigInteger(64, new SecureRandom()),
              Date.from(now.minus(Duration.ofMinutes(5))),
              Date.from(now.plus(VALIDITY)),
              name,
              keys.getPublic());
      builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names(hosts)));
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      builder.addExtension(
          Extension.extendedKeyUsage,
          false,
          new ExtendedKeyUsage(
              new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      X509Certificate certificate =
          new JcaX509CertificateConverter()
              .getCertificate(
                  builder.build(
                      new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
      return new ThrowawayCertificate(keys, certificate);
    } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
      throw new IllegalStateException("cannot make a throwaway certificate: " + e, e);
    }
  }

  private static GeneralName[] names(Collection<String> hosts) {
    Set<String> all = new LinkedHashSet<>(List.of("localhost", "127.0.0.1", "::1"));
    all.addAll(hosts);
    List<GeneralName> names = new ArrayList<>();
    for (String host : all) {
      boolean ip = host.indexOf(':') >= 0 || host.matches("[0-9.]+");
      names.add(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, host));
    }
    return names.toArray(GeneralName[]::new);
  }

  X509Certificate certificate() {
    return certificate;
  }

  /** Returns the certificate's SHA-256 fingerprint: {@code AB:CD:...}, as openssl prints it. */
  String fingerprint() {
    return fingerprint(certificate);
  }

  /** Returns a certificate's SHA-256 fingerprint as colon-separated upper-case hex. */
  static String fingerprint(X509Certificate certificate) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
      return HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Returns a fingerprint typed by a user (any case, colons or not) as bare lower-case hex. */
  static String normalize(String fingerprint) {
    return fingerprint.replace(":", "").replace(" ", "").toLowerCase(Locale.ROOT);
  }

  /** Returns a TLS builder that presents this certificate. */
  TlsConfig.Builder presenting() {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry(
          "throwaway", keys.getPrivate(), STORE_PASSWORD, new Certificate[] {certificate});
      return TlsConfig.builder().keyStore(store, STORE_PASSWORD);
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Writes the key (PKCS#8) and the certificate as PEM files into {@code dir}; returns both. */
  Path[] writePem(Path dir, String baseName) throws IOException {
    Path key = dir.resolve(baseName + ".key");
    Path cert = dir.resolve(baseName + ".crt");
    Files.writeString(key, pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
    try {
      Files.writeString(cert, pem("CERTIFICATE", certificate.getEncoded()));
    } catch (CertificateEncodingException e) {
      throw new IllegalStateException(e);
    }
    return new Path[] {key, cert};
  }

  private static String pem(String type, byte[] der) {
    String base64 =
        Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + base64 + "\n-----END " + type + "-----\n";
  }
}
