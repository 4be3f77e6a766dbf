package dev.tether.internal.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * Turns PEM files and key stores into the key and trust managers of an {@link
 * javax.net.ssl.SSLContext}. Every failure is an {@link IllegalArgumentException} naming the file
 * and what to do about it.
 *
 * <p>PEM private keys must be unencrypted PKCS#8 ({@code -----BEGIN PRIVATE KEY-----}), as {@code
 * openssl genpkey} writes them; other forms are refused with the command that converts them.
 * Certificates are X.509 ({@code -----BEGIN CERTIFICATE-----}), leaf first for a chain.
 */
public final class KeyMaterial {
  private static final Pattern PEM_BLOCK =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*?)-----END \\1-----");

  /** The alias under which a PEM key pair is held in the in-memory key store. */
  private static final String ALIAS = "tether";

  private KeyMaterial() {}

  /** Key managers for a PEM private key and its certificate chain. */
  public static KeyManager[] fromPem(Path privateKeyFile, Path certificateChainFile) {
    List<X509Certificate> chain = certificates(certificateChainFile);
    PrivateKey key = privateKey(privateKeyFile, chain.get(0));
    checkPair(key, chain.get(0), privateKeyFile, certificateChainFile);
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      char[] password = new char[0];
      store.setKeyEntry(ALIAS, key, password, chain.toArray(Certificate[]::new));
      return keyManagers(store, password);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "cannot use the key pair " + privateKeyFile + " / " + certificateChainFile + ": " + e, e);
    }
  }

  /** Key managers for the private keys of a key store. */
  public static KeyManager[] fromKeyStore(KeyStore store, char[] password) {
    try {
      return keyManagers(store, password);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot use the key store's private keys: " + e, e);
    }
  }

  /** Trust managers that trust the certificates of a PEM file: the CAs peers must chain to. */
  public static TrustManager[] trustingPem(Path certificatesFile) {
    List<X509Certificate> certificates = certificates(certificatesFile);
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      for (int i = 0; i < certificates.size(); i++) {
        store.setCertificateEntry("ca-" + i, certificates.get(i));
      }
      return trustingStore(store);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot trust the certificates of " + certificatesFile, e);
    }
  }

  /** Trust managers that trust the certificate entries of a key store. */
  public static TrustManager[] trustingStore(KeyStore store) {
    try {
      TrustManagerFactory factory =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
      return factory.getTrustManagers();
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot use the trust store: " + e, e);
    }
  }

  /** Loads a PKCS#12 or JKS key store file (the type is recognised from its contents). */
  public static KeyStore loadStore(Path file, char[] password) {
    try {
      return KeyStore.getInstance(file.toFile(), password);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "cannot load the key store "
              + file
              + " (PKCS#12 or JKS; is the password right?): "
              + e.getMessage(),
          e);
    }
  }

  /** Reads the X.509 certificates of a PEM file, in file order; at least one. */
  public static List<X509Certificate> certificates(Path file) {
    byte[] bytes = read(file);
    List<X509Certificate> certificates = new ArrayList<>();
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      for (Certificate c : factory.generateCertificates(new ByteArrayInputStream(bytes))) {
        certificates.add((X509Certificate) c);
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          file + " does not hold PEM certificates (-----BEGIN CERTIFICATE-----): " + e, e);
    }
    if (certificates.isEmpty()) {
      throw new IllegalArgumentException(
          file + " holds no certificate (-----BEGIN CERTIFICATE-----)");
    }
    return certificates;
  }

  private static PrivateKey privateKey(Path file, X509Certificate certificate) {
    String text = new String(read(file), StandardCharsets.US_ASCII);
    Matcher block = PEM_BLOCK.matcher(text);
    while (block.find()) {
      String kind = block.group(1);
      switch (kind) {
        case "PRIVATE KEY" -> {
          byte[] der = Base64.getMimeDecoder().decode(block.group(2));
          String algorithm = certificate.getPublicKey().getAlgorithm();
          try {
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
          } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(
                "cannot read the "
                    + algorithm
                    + " private key of "
                    + file
                    + " (the certificate's key is "
                    + algorithm
                    + "): "
                    + e.getMessage(),
                e);
          }
        }
        case "ENCRYPTED PRIVATE KEY" ->
            throw new IllegalArgumentException(
                file
                    + " holds an encrypted private key; use a PKCS#12 key store with a password"
                    + " (TlsConfig.Builder.keyStore), or decrypt it: openssl pkcs8 -in "
                    + file
                    + " -out key.pem");
        case "RSA PRIVATE KEY", "EC PRIVATE KEY" ->
            throw new IllegalArgumentException(
                file
                    + " holds a "
                    + kind
                    + " in the traditional format; convert it to PKCS#8: openssl pkcs8 -topk8"
                    + " -nocrypt -in "
                    + file
                    + " -out key.pem");
        default -> {
          // another block (parameters, a certificate): look further
        }
      }
    }
    throw new IllegalArgumentException(
        file + " holds no PEM private key (-----BEGIN PRIVATE KEY-----, PKCS#8)");
  }

  /** Refuses a key that does not belong to the certificate, which would fail every handshake. */
  private static void checkPair(
      PrivateKey key, X509Certificate certificate, Path keyFile, Path chainFile) {
    String algorithm =
        switch (key.getAlgorithm()) {
          case "RSA" -> "SHA256withRSA";
          case "EC" -> "SHA256withECDSA";
          case "Ed25519", "EdDSA" -> "Ed25519";
          case "Ed448" -> "Ed448";
          default -> null;
        };
    if (algorithm == null) {
      return; // an algorithm without a simple signature: the handshake will tell
    }
    try {
      byte[] probe = "tether key pair check".getBytes(StandardCharsets.US_ASCII);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(certificate.getPublicKey());
      verifier.update(probe);
      if (verifier.verify(signature)) {
        return;
      }
    } catch (GeneralSecurityException e) {
      // fall through: the key cannot sign for this certificate
    }
    throw new IllegalArgumentException(
        "the private key "
            + keyFile
            + " does not belong to the first certificate of "
            + chainFile
            + " ("
            + certificate.getSubjectX500Principal().getName()
            + ")");
  }

  private static KeyManager[] keyManagers(KeyStore store, char[] password)
      throws GeneralSecurityException {
    KeyManagerFactory factory =
        KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    factory.init(store, password);
    return factory.getKeyManagers();
  }

  private static byte[] read(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e, e);
    }
  }
}
