package dev.tether.internal.wire;

/**
 * Frame type bytes (PROTOCOL.md §3). Types 0x01–0x3F are critical: an unknown one fails the
 * connection. Types 0x40–0xFF are ancillary: an unknown one is skipped. 0x00 is never valid.
 */
public final class FrameType {
  public static final int HELLO = 0x01;
  public static final int WELCOME = 0x02;
  public static final int DATA = 0x03;
  public static final int REQUEST = 0x04;
  public static final int RESPONSE = 0x05;
  public static final int PING = 0x06;
  public static final int PONG = 0x07;
  public static final int GOAWAY = 0x08;

  public static final int FIRST_ANCILLARY = 0x40;

  /**
   * ACK (PROTOCOL.md §13): {@code u64} message frames received so far. Ancillary, and sent only on
   * sessions that negotiated resumption.
   */
  public static final int ACK = 0x40;

  private FrameType() {}

  public static boolean isAncillary(int type) {
    return type >= FIRST_ANCILLARY;
  }

  public static String name(int type) {
    return switch (type) {
      case HELLO -> "HELLO";
      case WELCOME -> "WELCOME";
      case DATA -> "DATA";
      case REQUEST -> "REQUEST";
      case RESPONSE -> "RESPONSE";
      case PING -> "PING";
      case PONG -> "PONG";
      case GOAWAY -> "GOAWAY";
      case ACK -> "ACK";
      default -> String.format("0x%02x", type);
    };
  }
}
