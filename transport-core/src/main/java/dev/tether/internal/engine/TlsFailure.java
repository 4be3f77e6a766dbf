package dev.tether.internal.engine;

import dev.tether.GoAwayCode;
import dev.tether.internal.wire.Preamble;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.util.Locale;
import javax.net.ssl.SSLException;

/**
 * TLS failed on a connection: a certificate was refused, the peer does not speak TLS, or a record
 * was bad. No GOAWAY can be exchanged, so the message explains, in the words a user needs, what
 * went wrong and what to change; {@link #code()} is the closest GOAWAY code for the exception the
 * application sees, and {@link #isRemote()} says whether the peer decided (it sent an alert).
 */
final class TlsFailure extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient GoAwayCode code;
  private final boolean remote;

  TlsFailure(GoAwayCode code, boolean remote, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
    this.remote = remote;
  }

  GoAwayCode code() {
    return code;
  }

  boolean isRemote() {
    return remote;
  }

  /**
   * Explains an exception of the TLS engine.
   *
   * @param client true on the side that connected
   * @param peerName the peer, as messages name it
   * @param firstBytes the first bytes the peer sent, to recognise a peer that does not speak TLS
   * @param hasCertificate whether this side has a certificate to present
   */
  static TlsFailure of(
      SSLException e,
      boolean client,
      String peerName,
      ByteBuffer firstBytes,
      boolean hasCertificate) {
    String engineMessage = String.valueOf(e.getMessage());
    String what = "TLS handshake with " + peerName + " failed: ";
    String theirs = client ? "the server's certificate" : "the client's certificate";
    String alert = alertName(engineMessage);
    if (alert != null) {
      return new TlsFailure(
          isCertificateAlert(alert) ? GoAwayCode.UNAUTHORIZED : GoAwayCode.PROTOCOL_ERROR,
          true,
          what + explainAlert(alert, client, hasCertificate) + " (" + engineMessage + ")",
          e);
    }
    if (has(e, CertificateExpiredException.class)) {
      return unauthorized(what + theirs + " has expired (" + rootMessage(e) + ")", e);
    }
    if (has(e, CertificateNotYetValidException.class)) {
      return unauthorized(what + theirs + " is not valid yet (" + rootMessage(e) + ")", e);
    }
    String lower = engineMessage.toLowerCase(Locale.ROOT);
    if (lower.contains("no subject alternative") || lower.contains("no name matching")) {
      return unauthorized(
          what
              + "the server's certificate does not name the host this client connected to ("
              + engineMessage
              + "); connect by a name the certificate holds, or set"
              + " TlsConfig.Builder.serverHostName",
          e);
    }
    if (has(e, CertPathBuilderException.class)
        || has(e, CertPathValidatorException.class)
        || lower.contains("pkix path")) {
      return unauthorized(
          what
              + theirs
              + " is not trusted: it does not lead to a certificate this side trusts ("
              + rootMessage(e)
              + "); give this side its CA with TlsConfig.Builder.trustCertificates or trustStore",
          e);
    }
    if (lower.contains("empty client certificate chain")) {
      return unauthorized(
          what
              + "the client presented no certificate, and this server requires one"
              + " (TlsConfig.Builder.requireClientCertificate)",
          e);
    }
    if (lower.contains("unrecognized ssl message")
        || lower.contains("unsupported or unrecognized")) {
      return new TlsFailure(GoAwayCode.PROTOCOL_ERROR, true, what + notTls(firstBytes), e);
    }
    if (lower.contains("protocol") && lower.contains("not")) {
      return new TlsFailure(
          GoAwayCode.PROTOCOL_ERROR,
          false,
          what + "the two sides have no TLS version in common (" + engineMessage + ")",
          e);
    }
    return new TlsFailure(GoAwayCode.PROTOCOL_ERROR, false, what + engineMessage, e);
  }

  /** The peer closed the stream in the middle of the TLS handshake. */
  static TlsFailure closedDuringHandshake(boolean client, String peerName) {
    return new TlsFailure(
        GoAwayCode.UNKNOWN,
        true,
        (client ? "server " : "client ")
            + peerName
            + " closed the connection during the TLS handshake"
            + (client ? "; is it a TLS server? A server without TLS closes the connection so" : ""),
        null);
  }

  private static TlsFailure unauthorized(String message, Throwable cause) {
    return new TlsFailure(GoAwayCode.UNAUTHORIZED, false, message, cause);
  }

  /** Describes what a peer that does not speak TLS sent instead. */
  private static String notTls(ByteBuffer firstBytes) {
    ByteBuffer bytes = firstBytes.duplicate();
    byte[] preamble = new byte[Math.min(bytes.remaining(), Preamble.LENGTH)];
    bytes.get(preamble);
    if (Preamble.matches(preamble)) {
      return "the peer does not use TLS: it answered with a plaintext Tether preamble"
          + goAwayReason(bytes)
          + "; connect without TLS, or configure TLS on both sides";
    }
    return "the peer does not speak TLS: it sent " + Preamble.describe(preamble, preamble.length);
  }

  /** The reason of a GOAWAY frame at the start of {@code bytes}, if it arrived whole. */
  private static String goAwayReason(ByteBuffer bytes) {
    if (bytes.remaining() < 7) {
      return "";
    }
    int length = bytes.getInt();
    int type = bytes.get() & 0xFF;
    if (type != 0x08 || length < 3 || bytes.remaining() < length - 1) {
      return "";
    }
    bytes.getShort();
    byte[] reason = new byte[length - 3];
    bytes.get(reason);
    return " and GOAWAY: " + new String(reason, StandardCharsets.UTF_8);
  }

  private static String alertName(String message) {
    String marker = "Received fatal alert: ";
    int at = message.indexOf(marker);
    return at < 0 ? null : message.substring(at + marker.length()).strip();
  }

  private static boolean isCertificateAlert(String alert) {
    return alert.contains("certificate")
        || alert.equals("unknown_ca")
        || alert.equals("access_denied")
        || alert.equals("decrypt_error");
  }

  private static String explainAlert(String alert, boolean client, boolean hasCertificate) {
    String peer = client ? "the server" : "the client";
    if (client && !hasCertificate && isCertificateAlert(alert)) {
      // a server refusing the certificate of a client that has none: it requires one
      return "the server requires a client certificate and this client has none; give it one"
          + " with TlsConfig.Builder.keyPair or keyStore";
    }
    return switch (alert) {
      case "certificate_required" ->
          // newer JDKs send no certificate whose issuer is not among the CAs the server lists
          "the server refused this side's certificate: it requires one issued by a CA it trusts"
              + " and this client's is not (a client sends only such a certificate); check that"
              + " the server trusts its CA";
      case "bad_certificate", "certificate_unknown", "unknown_ca", "unsupported_certificate" ->
          peer
              + " refused this side's certificate: check that "
              + peer
              + " trusts its CA"
              + (client ? "" : " and that it names the host the client connects to");
      case "certificate_expired" -> peer + " refused this side's certificate: it has expired";
      case "certificate_revoked" -> peer + " refused this side's certificate: it is revoked";
      case "protocol_version", "handshake_failure", "insufficient_security" ->
          "the two sides have no TLS version or cipher suite in common";
      default -> peer + " ended the TLS handshake";
    };
  }

  private static boolean has(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return String.valueOf(root.getMessage());
  }
}
