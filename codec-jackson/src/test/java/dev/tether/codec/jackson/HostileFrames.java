package dev.tether.codec.jackson;

import static dev.tether.testing.RawPeer.DATA;
import static dev.tether.testing.RawPeer.GOAWAY;
import static dev.tether.testing.RawPeer.PING;
import static dev.tether.testing.RawPeer.PONG;
import static dev.tether.testing.RawPeer.REQUEST;
import static dev.tether.testing.RawPeer.RESPONSE;
import static dev.tether.testing.RawPeer.concat;
import static dev.tether.testing.RawPeer.frame;
import static dev.tether.testing.RawPeer.varint;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.MessageTypes;
import dev.tether.testing.RawPeer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the hostile-sequence tests share: the echo profile of PROTOCOL.md §10 over {@code json},
 * encoded here with plain Jackson rather than the codec under test, random echoes, and the frames
 * after which a receiver, server or client alike, must close with a GOAWAY naming the cause.
 */
final class HostileFrames {
  private HostileFrames() {}

  /** The profile's message. */
  public record Echo(String text, long seq) {}

  static final MessageTypes TYPES =
      MessageTypes.builder("tether-echo").register(1, "echo.Echo", Echo.class).build();

  /** Computed from the §5 text here, not taken from {@link MessageTypes#fingerprint()}. */
  static final long FINGERPRINT = RawPeer.fingerprint("tether-echo\n1=echo.Echo\n");

  static final int ECHO = 1;

  /**
   * The frame limit both the servers and the clients under test are configured with: above the 64
   * KiB up to which payloads are decoded on the event loop, so that larger ones take the other path
   * (decoded by the connection's dispatcher).
   */
  static final int MAX_FRAME_BYTES = 256 * 1024;

  static final JsonMapper JSON = JsonMapper.builder().build();

  // PROTOCOL.md §8 and §7 codes
  static final int NORMAL = 0;
  static final int PROTOCOL_ERROR = 1;
  static final int FRAME_TOO_LARGE = 6;
  static final int CODEC_ERROR = 13;

  /** Payloads the json codec must refuse as an Echo. */
  static final List<byte[]> UNDECODABLE =
      List.of(
          new byte[0],
          RawPeer.utf8("{"),
          RawPeer.utf8("[1,2]"),
          RawPeer.utf8("null"),
          RawPeer.utf8("{\"text\":\"t\",\"seq\":\"not a number\"}"),
          new byte[] {(byte) 0xFF, (byte) 0xFE, 0x00},
          RawPeer.utf8("[" + "1,".repeat(40_000))); // 80 KB: decoded off the loop, unterminated

  /** Code points an echo's text is made of: escapes, controls, two- to four-byte UTF-8. */
  private static final int[] TEXT_CODE_POINTS = {
    'a', 'z', '0', ' ', '"', '\\', '/', '\n', '\t', 0x01, 0x7F, 0xE9, 0x4E2D, 0xFFFD, 0x1D11E
  };

  static Echo randomEcho(SplittableRandom random) {
    StringBuilder text = new StringBuilder();
    // now and then a text of kilobytes, so that frames straddle the receiver's reads, and rarely
    // one past 64 KiB, so that the receiver decodes it off its event loop
    int size = random.nextInt(50);
    int length =
        size == 0
            ? 25_000 + random.nextInt(20_000)
            : size < 5 ? random.nextInt(8000) : random.nextInt(20);
    for (int i = 0; i < length; i++) {
      text.appendCodePoint(TEXT_CODE_POINTS[random.nextInt(TEXT_CODE_POINTS.length)]);
    }
    long seq = random.nextInt(4) == 0 ? Long.MIN_VALUE + random.nextInt(2) : random.nextLong();
    return new Echo(text.toString(), seq);
  }

  static byte[] json(Echo echo) {
    return JSON.writeValueAsBytes(echo);
  }

  static byte[] undecodable(SplittableRandom random) {
    return UNDECODABLE.get(random.nextInt(UNDECODABLE.size()));
  }

  /** Reads the Echo of a DATA body, or of a RESPONSE body from {@code offset}. */
  static Echo echoIn(byte[] body, int offset) {
    assertThat(body[offset]).as("type id varint").isEqualTo((byte) ECHO);
    return JSON.readValue(body, offset + 1, body.length - offset - 1, Echo.class);
  }

  static byte[] randomBytes(SplittableRandom random, int max) {
    byte[] b = new byte[random.nextInt(max + 1)];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) random.nextInt(256);
    }
    return b;
  }

  static byte[] u64(long value) {
    return ByteBuffer.allocate(8).putLong(value).array();
  }

  static byte[] u16(int value) {
    return ByteBuffer.allocate(2).putShort((short) value).array();
  }

  /** Writes {@code bytes} in up to five pieces cut at random places, so frames straddle reads. */
  static void writeSplit(RawPeer peer, byte[] bytes, SplittableRandom random) throws IOException {
    int cuts = random.nextInt(5);
    int from = 0;
    for (int i = 0; i < cuts && from < bytes.length; i++) {
      int to = from + random.nextInt(bytes.length - from + 1);
      peer.write(Arrays.copyOfRange(bytes, from, to));
      from = to;
    }
    peer.write(Arrays.copyOfRange(bytes, from, bytes.length));
  }

  /**
   * A frame (or the start of one) after which the receiver must send GOAWAY({@code code}) with a
   * reason containing {@code reasonPart}, then close.
   */
  record Fatal(String step, byte[] bytes, int code, String reasonPart) {}

  /** One of the fatal frames of PROTOCOL.md §3, §6–§8, at random. */
  static Fatal randomFatal(SplittableRandom random) {
    switch (random.nextInt(13)) {
      case 0 -> {
        int typeId = 2 + random.nextInt(100_000);
        byte[] body = concat(varint(typeId), json(randomEcho(random)));
        return new Fatal(
            "DATA of type " + typeId, frame(DATA, body), CODEC_ERROR, "type id " + typeId);
      }
      case 1 -> {
        byte[] body = concat(varint(ECHO), undecodable(random));
        return new Fatal("undecodable DATA", frame(DATA, body), CODEC_ERROR, "decode");
      }
      case 2 -> {
        return wrongLength(random, "PING", PING);
      }
      case 3 -> {
        return wrongLength(random, "PONG", PONG);
      }
      case 4 -> {
        int type = 0x09 + random.nextInt(0x40 - 0x09);
        return new Fatal(
            "critical 0x" + Integer.toHexString(type),
            frame(type, randomBytes(random, 10)),
            PROTOCOL_ERROR,
            String.format("unknown critical frame type 0x%02x", type));
      }
      case 5 -> {
        return new Fatal("type 0x00", frame(0x00, randomBytes(random, 10)), PROTOCOL_ERROR, "0x00");
      }
      case 6 -> {
        int type = random.nextBoolean() ? RawPeer.HELLO : RawPeer.WELCOME;
        return new Fatal(
            "handshake frame 0x0" + type,
            frame(type, randomBytes(random, 30)),
            PROTOCOL_ERROR,
            "after the handshake");
      }
      case 7 -> {
        return new Fatal("length 0", new byte[] {0, 0, 0, 0, DATA}, PROTOCOL_ERROR, "length 0");
      }
      case 8 -> {
        long length = MAX_FRAME_BYTES + 1L + random.nextLong(0xFFFF_FFFFL - MAX_FRAME_BYTES);
        byte[] header = ByteBuffer.allocate(5).putInt((int) length).put((byte) DATA).array();
        return new Fatal("length " + length, header, FRAME_TOO_LARGE, "frame length " + length);
      }
      case 9 -> {
        int status = 2 + random.nextInt(254);
        byte[] body =
            concat(u64(random.nextLong()), new byte[] {(byte) status}, randomBytes(random, 10));
        return new Fatal(
            "RESPONSE status " + status, frame(RESPONSE, body), PROTOCOL_ERROR, "status " + status);
      }
      case 10 -> {
        byte[] body = new byte[random.nextInt(9)];
        return new Fatal("short RESPONSE", frame(RESPONSE, body), PROTOCOL_ERROR, "RESPONSE");
      }
      case 11 -> {
        byte[] body = new byte[random.nextInt(8)];
        return new Fatal("short REQUEST", frame(REQUEST, body), PROTOCOL_ERROR, "REQUEST");
      }
      default -> {
        byte[] body = new byte[random.nextInt(2)];
        return new Fatal("short GOAWAY", frame(GOAWAY, body), PROTOCOL_ERROR, "GOAWAY");
      }
    }
  }

  /**
   * The frames one sequence writes, and how the receiver must end it: up to twelve frames after
   * which the connection stays up (each test has its own, with what they must get back), then the
   * peer's GOAWAY or a fatal frame, half and half.
   */
  abstract static class Sequence {
    final SplittableRandom random;
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final List<String> steps = new ArrayList<>();

    /** The code of the receiver's GOAWAY, and a part of its reason. */
    int goAwayCode;

    String reasonPart;

    Sequence(SplittableRandom random) {
      this.random = random;
    }

    /** Writes the frames, from the random source's next numbers. */
    final void compose() {
      int harmless = random.nextInt(13);
      for (int i = 0; i < harmless; i++) {
        harmlessStep();
      }
      if (random.nextBoolean()) {
        goAwayStep();
      } else {
        Fatal fatal = randomFatal(random);
        goAwayCode = fatal.code();
        reasonPart = fatal.reasonPart();
        steps.add(fatal.step());
        bytes.writeBytes(fatal.bytes());
      }
    }

    /** A frame after which the connection stays up. */
    abstract void harmlessStep();

    /** The writer's own GOAWAY, which the receiver answers with GOAWAY(NORMAL). */
    abstract void goAwayStep();

    final void write(String step, int type, byte[] body) {
      steps.add(step);
      bytes.writeBytes(frame(type, body));
    }

    /** Writes a DATA frame of a random echo and returns the echo. */
    final Echo writeData() {
      Echo echo = randomEcho(random);
      write("DATA " + echo, DATA, concat(varint(ECHO), json(echo)));
      return echo;
    }

    /** Writes a PONG that answers no PING: the receiver ignores it. */
    final void writeStrayPong() {
      write("PONG nobody asked for", PONG, u64(random.nextLong()));
    }

    /** Writes a frame of an ancillary type, ACK's 0x40 included: the receiver skips it. */
    final void writeAncillary() {
      int type = 0x40 + random.nextInt(0xC0);
      write("ancillary 0x" + Integer.toHexString(type), type, randomBytes(random, 40));
    }

    /** True if the sequence ended with the writer's GOAWAY rather than a fatal frame. */
    final boolean graceful() {
      return goAwayCode == NORMAL;
    }

    /** The last frame written, as the script names it. */
    final String lastStep() {
      return steps.get(steps.size() - 1);
    }

    /** The steps, for assertion messages. */
    final String script() {
      return "script: " + steps;
    }
  }

  /** A PING or PONG whose body is not 8 bytes. */
  private static Fatal wrongLength(SplittableRandom random, String name, int type) {
    byte[] body = randomBytes(random, 20);
    if (body.length == 8) {
      body = new byte[9 + random.nextInt(12)];
    }
    return new Fatal(
        name + " of " + body.length + " bytes",
        frame(type, body),
        PROTOCOL_ERROR,
        name + " body must be 8 bytes, was " + body.length);
  }
}
