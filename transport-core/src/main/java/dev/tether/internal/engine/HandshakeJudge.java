package dev.tether.internal.engine;

import dev.tether.GoAwayCode;
import dev.tether.MessageTypes;
import dev.tether.internal.wire.Extensions;
import dev.tether.internal.wire.Handshake;
import dev.tether.internal.wire.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** The handshake's rules (PROTOCOL.md §4), free of I/O: what each side accepts. */
final class HandshakeJudge {
  private HandshakeJudge() {}

  /**
   * Judges a client's HELLO on the server and returns the chosen codec.
   *
   * @throws ProtocolException with the GOAWAY code and a reason naming both sides' values
   */
  static String judgeHello(
      Handshake hello, MessageTypes types, List<String> supportedCodecs, String serverName)
      throws ProtocolException {
    if (!hello.appProtocol().equals(types.appProtocol())
        || hello.schemaFingerprint() != types.fingerprint()) {
      byte[] clientSchema = Extensions.decode(hello.extensions()).get(Extensions.SCHEMA);
      String differences =
          clientSchema == null
              ? "register the same ids and names on both sides"
              : SchemaDiff.describe(
                  new String(clientSchema, StandardCharsets.UTF_8), types.fingerprintText());
      throw new ProtocolException(
          GoAwayCode.APP_PROTOCOL_MISMATCH,
          "app protocol mismatch: client has '"
              + hello.appProtocol()
              + "' with schema fingerprint "
              + hex(hello.schemaFingerprint())
              + ", server has '"
              + types.appProtocol()
              + "' with schema fingerprint "
              + hex(types.fingerprint())
              + (hello.appProtocol().equals(types.appProtocol())
                  ? " (same protocol, different message types: " + differences + ")"
                  : ""));
    }
    String chosen = null;
    for (String offered : hello.codecs()) {
      if (supportedCodecs.contains(offered)) {
        chosen = offered;
        break;
      }
    }
    if (chosen == null) {
      throw new ProtocolException(
          GoAwayCode.NO_COMMON_CODEC,
          "codec mismatch: client offers "
              + hello.codecs()
              + ", server supports "
              + supportedCodecs);
    }
    if (!hello.serverName().isEmpty() && !hello.serverName().equals(serverName)) {
      throw new ProtocolException(
          GoAwayCode.SERVER_NAME_MISMATCH,
          "server name mismatch: client expects '"
              + hello.serverName()
              + "', this server is '"
              + serverName
              + "'");
    }
    return chosen;
  }

  /**
   * Checks the server's WELCOME on the client.
   *
   * @throws ProtocolException with the GOAWAY code the client sends and a reason naming both values
   */
  static void checkWelcome(
      Handshake welcome, MessageTypes types, List<String> offeredCodecs, String expectedServerName)
      throws ProtocolException {
    if (!welcome.appProtocol().equals(types.appProtocol())
        || welcome.schemaFingerprint() != types.fingerprint()) {
      throw new ProtocolException(
          GoAwayCode.APP_PROTOCOL_MISMATCH,
          "app protocol mismatch: server has '"
              + welcome.appProtocol()
              + "' with schema fingerprint "
              + hex(welcome.schemaFingerprint())
              + ", client has '"
              + types.appProtocol()
              + "' with schema fingerprint "
              + hex(types.fingerprint()));
    }
    String codec = welcome.codecs().get(0);
    if (!offeredCodecs.contains(codec)) {
      throw new ProtocolException(
          GoAwayCode.NO_COMMON_CODEC,
          "codec mismatch: server chose '" + codec + "', client offered " + offeredCodecs);
    }
    if (!expectedServerName.isEmpty() && !expectedServerName.equals(welcome.serverName())) {
      throw new ProtocolException(
          GoAwayCode.SERVER_NAME_MISMATCH,
          "server name mismatch: client expects '"
              + expectedServerName
              + "', server is '"
              + welcome.serverName()
              + "'");
    }
  }

  /**
   * The least PING interval a peer's idle timeout can ask of this side: a peer announcing 3 ms
   * would otherwise have it write a PING every millisecond for as long as it likes (decision (ll)).
   */
  static final long MIN_PEER_HEARTBEAT_MILLIS = 50;

  /**
   * The PING interval of PROTOCOL.md §6: min(own heartbeat, peer idle / 3), zeros ignored, and the
   * peer's share at least {@link #MIN_PEER_HEARTBEAT_MILLIS}.
   */
  static long heartbeatMillis(long ownHeartbeatMillis, long peerIdleTimeoutMillis) {
    long fromPeer =
        peerIdleTimeoutMillis == 0
            ? 0
            : Math.max(MIN_PEER_HEARTBEAT_MILLIS, peerIdleTimeoutMillis / 3);
    if (ownHeartbeatMillis == 0) {
      return fromPeer;
    }
    if (fromPeer == 0) {
      return ownHeartbeatMillis;
    }
    return Math.min(ownHeartbeatMillis, fromPeer);
  }

  static String hex(long fingerprint) {
    return String.format("%016x", fingerprint);
  }
}
