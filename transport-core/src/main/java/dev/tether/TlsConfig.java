package dev.tether;

import dev.tether.internal.tls.KeyMaterial;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * TLS for TCP connections: the certificate this side presents, what it trusts, and how it checks
 * the peer; immutable and thread safe. Give it to {@link ServerBuilder#tls} and {@link
 * ClientBuilder#tls}; one instance may serve both sides of a node.
 *
 * <pre>{@code
 * TlsConfig serverTls = TlsConfig.builder()
 *     .keyPair(Path.of("server.key"), Path.of("server.crt")) // PEM: PKCS#8 key, X.509 chain
 *     .trustCertificates(Path.of("ca.crt"))                    // the CA of the clients
 *     .requireClientCertificate()                              // mutual TLS
 *     .build();
 * TlsConfig clientTls = TlsConfig.builder()
 *     .trustCertificates(Path.of("ca.crt"))                    // the CA of the server
 *     .keyPair(Path.of("client.key"), Path.of("client.crt"))   // for mutual TLS
 *     .build();
 * }</pre>
 *
 * <p>What it does, by default:
 *
 * <ul>
 *   <li>TLS 1.3 only; {@link Builder#protocols} also allows TLS 1.2, and nothing older.
 *   <li>A client checks the server's certificate chain against its trust material (the JDK's
 *       default trust store when none is given) and checks that the certificate names the host it
 *       connected to, as HTTPS clients do (endpoint identification {@code "HTTPS"}): the host of
 *       the connect address, or {@link Builder#serverHostName}. A name is also sent as SNI.
 *   <li>A server presents its certificate and asks clients for one only with {@link
 *       Builder#requireClientCertificate()}; the client's chain must then lead to the server's
 *       trust material, or the handshake fails.
 *   <li>Each side closes a connection with {@link GoAwayCode#UNAUTHORIZED} when the peer's
 *       certificate chain expires while the connection is open.
 * </ul>
 *
 * <p>TLS runs over TCP only; a Unix domain socket is protected by its file's permissions.
 */
public final class TlsConfig {
  /** The protocol versions that may be enabled, newest first. */
  public static final List<String> SUPPORTED_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

  /** TLS 1.3 alone: every Tether peer supports it, and it is the safest and fastest version. */
  public static final List<String> DEFAULT_PROTOCOLS = List.of("TLSv1.3");

  private final SSLContext sslContext;
  private final boolean hasKeyMaterial;
  private final List<String> protocols;
  private final boolean clientCertificateRequired;
  private final String serverHostName;

  private TlsConfig(Builder b, SSLContext sslContext, boolean hasKeyMaterial) {
    this.sslContext = sslContext;
    this.hasKeyMaterial = hasKeyMaterial;
    this.protocols = b.protocols;
    this.clientCertificateRequired = b.clientCertificateRequired;
    this.serverHostName = b.serverHostName;
  }

  /** Returns a builder; see the class comment for what it does by default. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns the context every connection's {@link javax.net.ssl.SSLEngine} is made from. */
  public SSLContext sslContext() {
    return sslContext;
  }

  /** Returns the enabled protocol versions, e.g. {@code [TLSv1.3]}. */
  public List<String> protocols() {
    return protocols;
  }

  /** Returns true if a server requires (and checks) a certificate from each client. */
  public boolean clientCertificateRequired() {
    return clientCertificateRequired;
  }

  /**
   * Returns the host name a client expects in the server's certificate and sends as SNI; empty
   * means the host of the address it connects to.
   */
  public Optional<String> serverHostName() {
    return Optional.ofNullable(serverHostName);
  }

  /**
   * Returns true if this side has a certificate and private key to present: always for a {@link
   * Builder#sslContext} given whole. A server needs one.
   */
  public boolean hasKeyMaterial() {
    return hasKeyMaterial;
  }

  @Override
  public String toString() {
    return "TlsConfig[protocols="
        + protocols
        + (hasKeyMaterial ? ", with certificate" : "")
        + (clientCertificateRequired ? ", client certificate required" : "")
        + (serverHostName != null ? ", server host name " + serverHostName : "")
        + "]";
  }

  /**
   * Builds a {@link TlsConfig}; not thread safe. Files are read by {@link #build()}, which reports
   * every problem with the file's name. Give at most one source of key material ({@link #keyPair}
   * or {@link #keyStore}) and at most one source of trust ({@link #trustCertificates}, {@link
   * #trustStore} or {@link #trustManager}); or give {@link #sslContext} alone.
   */
  public static final class Builder {
    private Path privateKeyFile;
    private Path certificateChainFile;
    private KeyStore keyStore;
    private Path keyStoreFile;
    private char[] keyStorePassword;
    private Path trustCertificatesFile;
    private KeyStore trustStore;
    private Path trustStoreFile;
    private char[] trustStorePassword;
    private X509TrustManager trustManager;
    private SSLContext sslContext;
    private List<String> protocols = DEFAULT_PROTOCOLS;
    private boolean clientCertificateRequired;
    private String serverHostName;

    private Builder() {}

    /**
     * Presents this certificate chain and proves it with this private key.
     *
     * @param privateKey a PEM file with an unencrypted PKCS#8 key ({@code -----BEGIN PRIVATE
     *     KEY-----}); for an encrypted key use a PKCS#12 {@link #keyStore}
     * @param certificateChain a PEM file with the certificate, then the intermediate CAs, if any
     */
    public Builder keyPair(Path privateKey, Path certificateChain) {
      this.privateKeyFile = Objects.requireNonNull(privateKey, "privateKey");
      this.certificateChainFile = Objects.requireNonNull(certificateChain, "certificateChain");
      return this;
    }

    /** Presents the key and certificate chain of a PKCS#12 or JKS key store file. */
    public Builder keyStore(Path file, char[] password) {
      this.keyStoreFile = Objects.requireNonNull(file, "file");
      this.keyStorePassword = Objects.requireNonNull(password, "password").clone();
      return this;
    }

    /** Presents the key and certificate chain of a loaded key store. */
    public Builder keyStore(KeyStore store, char[] password) {
      this.keyStore = Objects.requireNonNull(store, "store");
      this.keyStorePassword = Objects.requireNonNull(password, "password").clone();
      return this;
    }

    /**
     * Trusts the certificates of a PEM file (one or more {@code -----BEGIN CERTIFICATE-----}): the
     * CAs whose certificates peers must present, or a self-signed peer certificate itself.
     */
    public Builder trustCertificates(Path pemFile) {
      this.trustCertificatesFile = Objects.requireNonNull(pemFile, "pemFile");
      return this;
    }

    /** Trusts the certificate entries of a PKCS#12 or JKS trust store file. */
    public Builder trustStore(Path file, char[] password) {
      this.trustStoreFile = Objects.requireNonNull(file, "file");
      this.trustStorePassword = Objects.requireNonNull(password, "password").clone();
      return this;
    }

    /** Trusts the certificate entries of a loaded key store. */
    public Builder trustStore(KeyStore store) {
      this.trustStore = Objects.requireNonNull(store, "store");
      return this;
    }

    /**
     * Decides trust with this manager, e.g. one that pins a certificate's fingerprint. A manager
     * that is not an {@link javax.net.ssl.X509ExtendedTrustManager} is wrapped by the JDK, which
     * then still checks the server's host name; an extended one checks what it chooses.
     */
    public Builder trustManager(X509TrustManager manager) {
      this.trustManager = Objects.requireNonNull(manager, "manager");
      return this;
    }

    /**
     * Uses this context, with its own key and trust material and provider, as it is; the protocol
     * versions, client certificate and host name settings still apply.
     */
    public Builder sslContext(SSLContext context) {
      this.sslContext = Objects.requireNonNull(context, "context");
      return this;
    }

    /**
     * Enables these protocol versions; {@code "TLSv1.3"} by default.
     *
     * @throws IllegalArgumentException if none is given or one is not in {@link
     *     #SUPPORTED_PROTOCOLS}
     */
    public Builder protocols(String... versions) {
      if (versions.length == 0) {
        throw new IllegalArgumentException("at least one protocol version is needed");
      }
      for (String v : versions) {
        if (!SUPPORTED_PROTOCOLS.contains(v)) {
          throw new IllegalArgumentException(
              "protocol version '" + v + "' is not allowed; use " + SUPPORTED_PROTOCOLS);
        }
      }
      this.protocols = List.of(versions);
      return this;
    }

    /**
     * Servers: requires a certificate from every client and checks it against this side's trust
     * material (mutual TLS); a client without an acceptable one fails the handshake. Clients ignore
     * it.
     */
    public Builder requireClientCertificate() {
      this.clientCertificateRequired = true;
      return this;
    }

    /**
     * Clients: expects this host name in the server's certificate and sends it as SNI, instead of
     * the host of the connect address; useful when connecting by IP address to a server whose
     * certificate names its DNS name. Servers ignore it.
     */
    public Builder serverHostName(String hostName) {
      if (Objects.requireNonNull(hostName, "hostName").isEmpty()) {
        throw new IllegalArgumentException("hostName must not be empty");
      }
      this.serverHostName = hostName;
      return this;
    }

    /**
     * Reads the files and returns the configuration.
     *
     * @throws IllegalArgumentException if a file cannot be read or holds something unusable (the
     *     message names it), or if more than one source of key material or of trust was given
     */
    public TlsConfig build() {
      int keySources = count(privateKeyFile, keyStore, keyStoreFile);
      int trustSources = count(trustCertificatesFile, trustStore, trustStoreFile, trustManager);
      if (sslContext != null) {
        if (keySources + trustSources > 0) {
          throw new IllegalArgumentException(
              "sslContext carries its own key and trust material; do not combine it with"
                  + " keyPair, keyStore, trustCertificates, trustStore or trustManager");
        }
        return new TlsConfig(this, sslContext, true);
      }
      if (keySources > 1) {
        throw new IllegalArgumentException("give either keyPair or keyStore, not both");
      }
      if (trustSources > 1) {
        throw new IllegalArgumentException(
            "give one of trustCertificates, trustStore and trustManager, not several");
      }
      KeyManager[] keys = null;
      if (privateKeyFile != null) {
        keys = KeyMaterial.fromPem(privateKeyFile, certificateChainFile);
      } else if (keyStoreFile != null) {
        keys =
            KeyMaterial.fromKeyStore(
                KeyMaterial.loadStore(keyStoreFile, keyStorePassword), keyStorePassword);
      } else if (keyStore != null) {
        keys = KeyMaterial.fromKeyStore(keyStore, keyStorePassword);
      }
      TrustManager[] trust = null; // null: the JDK's default trust store
      if (trustCertificatesFile != null) {
        trust = KeyMaterial.trustingPem(trustCertificatesFile);
      } else if (trustStoreFile != null) {
        trust =
            KeyMaterial.trustingStore(KeyMaterial.loadStore(trustStoreFile, trustStorePassword));
      } else if (trustStore != null) {
        trust = KeyMaterial.trustingStore(trustStore);
      } else if (trustManager != null) {
        trust = new TrustManager[] {trustManager};
      }
      try {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys, trust, null);
        return new TlsConfig(this, context, keys != null);
      } catch (GeneralSecurityException e) {
        throw new IllegalArgumentException("cannot create a TLS context: " + e, e);
      }
    }

    private static int count(Object... sources) {
      int n = 0;
      for (Object source : sources) {
        if (source != null) {
          n++;
        }
      }
      return n;
    }
  }
}
