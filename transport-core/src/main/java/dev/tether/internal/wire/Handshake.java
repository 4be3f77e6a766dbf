package dev.tether.internal.wire;

import dev.tether.GoAwayCode;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The HELLO and WELCOME frame bodies (PROTOCOL.md §4). WELCOME has the same fields in the same
 * order, except that the codec list is a single chosen {@code str codec}.
 *
 * <pre>
 * minorVersion      u16
 * nodeId            u64
 * appProtocol       str (1..255 bytes)
 * schemaFingerprint u64
 * codecs            u8 count (1..16), count × str    -- WELCOME: one str
 * serverName        str
 * maxFrameSize      u32 (at least 1024)
 * heartbeatMillis   u32
 * idleTimeoutMillis u32
 * extensions        u16 length, bytes
 * </pre>
 *
 * <p>Bytes after the extensions field are ignored, so that a later minor version can append fields.
 *
 * @param codecs for HELLO the offered codecs, most preferred first; for WELCOME the chosen one
 */
public record Handshake(
    int minorVersion,
    long nodeId,
    String appProtocol,
    long schemaFingerprint,
    List<String> codecs,
    String serverName,
    long maxFrameSize,
    long heartbeatMillis,
    long idleTimeoutMillis,
    byte[] extensions) {

  public static final int MINOR_VERSION = 0;
  public static final int MIN_MAX_FRAME_SIZE = 1024;
  public static final int MAX_CODECS = 16;
  public static final int MAX_APP_PROTOCOL_BYTES = 255;

  public Handshake {
    codecs = List.copyOf(codecs);
  }

  /** Encodes a whole HELLO frame, header included. */
  public byte[] encodeHello() {
    return encode(FrameType.HELLO);
  }

  /** Encodes a whole WELCOME frame, header included; {@link #codecs()} must hold one name. */
  public byte[] encodeWelcome() {
    if (codecs.size() != 1) {
      throw new IllegalStateException("WELCOME carries exactly one codec, not " + codecs);
    }
    return encode(FrameType.WELCOME);
  }

  private byte[] encode(int type) {
    byte[] app = WireStrings.utf8(appProtocol);
    byte[] server = WireStrings.utf8(serverName);
    List<byte[]> names = new ArrayList<>();
    int size = 2 + 8 + 2 + app.length + 8 + 2 + server.length + 4 + 4 + 4 + 2 + extensions.length;
    size += type == FrameType.HELLO ? 1 : 0;
    for (String c : codecs) {
      byte[] name = WireStrings.utf8(c);
      names.add(name);
      size += 2 + name.length;
    }
    if (app.length < 1 || app.length > MAX_APP_PROTOCOL_BYTES) {
      throw new IllegalArgumentException("appProtocol must be 1..255 bytes: " + appProtocol);
    }
    if (server.length > 0xFFFF || extensions.length > 0xFFFF) {
      throw new IllegalArgumentException("serverName and extensions must fit in 65535 bytes");
    }
    if (codecs.isEmpty() || codecs.size() > MAX_CODECS) {
      throw new IllegalArgumentException("offer 1..16 codecs, not " + codecs.size());
    }
    ByteBuffer frame = Frames.allocate(type, size);
    frame.putShort((short) minorVersion).putLong(nodeId);
    WireStrings.writeStr(frame, app);
    frame.putLong(schemaFingerprint);
    if (type == FrameType.HELLO) {
      frame.put((byte) names.size());
    }
    for (byte[] name : names) {
      WireStrings.writeStr(frame, name);
    }
    WireStrings.writeStr(frame, server);
    frame
        .putInt((int) maxFrameSize)
        .putInt((int) heartbeatMillis)
        .putInt((int) idleTimeoutMillis)
        .putShort((short) extensions.length)
        .put(extensions);
    return frame.array();
  }

  /** Decodes a HELLO body. */
  public static Handshake decodeHello(ByteBuffer body) throws ProtocolException {
    return decode(body, true);
  }

  /** Decodes a WELCOME body. */
  public static Handshake decodeWelcome(ByteBuffer body) throws ProtocolException {
    return decode(body, false);
  }

  private static Handshake decode(ByteBuffer body, boolean hello) throws ProtocolException {
    String frame = hello ? "HELLO" : "WELCOME";
    WireStrings.need(body, 10, frame + " minorVersion and nodeId");
    int minor = body.getShort() & 0xFFFF;
    long nodeId = body.getLong();
    String app = WireStrings.readStr(body, frame + " appProtocol");
    int appBytes = WireStrings.utf8(app).length;
    if (appBytes < 1 || appBytes > MAX_APP_PROTOCOL_BYTES) {
      throw new ProtocolException(
          GoAwayCode.PROTOCOL_ERROR, frame + " appProtocol must be 1..255 bytes, was " + appBytes);
    }
    WireStrings.need(body, 8, frame + " schemaFingerprint");
    long fingerprint = body.getLong();
    List<String> codecs = new ArrayList<>();
    if (hello) {
      WireStrings.need(body, 1, "HELLO codec count");
      int count = body.get() & 0xFF;
      if (count < 1 || count > MAX_CODECS) {
        throw new ProtocolException(
            GoAwayCode.PROTOCOL_ERROR, "HELLO must offer 1..16 codecs, offered " + count);
      }
      for (int i = 0; i < count; i++) {
        codecs.add(WireStrings.readStr(body, "HELLO codec name"));
      }
    } else {
      codecs.add(WireStrings.readStr(body, "WELCOME codec"));
    }
    String serverName = WireStrings.readStr(body, frame + " serverName");
    WireStrings.need(body, 14, frame + " limits and extensions length");
    long maxFrameSize = body.getInt() & 0xFFFF_FFFFL;
    long heartbeat = body.getInt() & 0xFFFF_FFFFL;
    long idle = body.getInt() & 0xFFFF_FFFFL;
    int extensionLength = body.getShort() & 0xFFFF;
    WireStrings.need(body, extensionLength, frame + " extensions");
    byte[] extensions = new byte[extensionLength];
    body.get(extensions);
    if (maxFrameSize < MIN_MAX_FRAME_SIZE) {
      throw new ProtocolException(
          GoAwayCode.PROTOCOL_ERROR,
          frame + " maxFrameSize " + maxFrameSize + " is below the minimum of 1024");
    }
    body.position(body.limit());
    return new Handshake(
        minor,
        nodeId,
        app,
        fingerprint,
        codecs,
        serverName,
        maxFrameSize,
        heartbeat,
        idle,
        extensions);
  }
}
