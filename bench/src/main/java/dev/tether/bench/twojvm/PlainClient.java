package dev.tether.bench.twojvm;

import dev.tether.MessageTypes;
import dev.tether.bench.support.Codecs;
import dev.tether.bench.support.Payloads;
import dev.tether.codec.Codec;
import dev.tether.codec.EncodeBuffer;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.LongFunction;

/**
 * One blocking socket that speaks each server's own wire format, the same client for every
 * contender, as an outside load generator measures servers: round trips only. Tether's server gets
 * the protocol of {@code PROTOCOL.md}, written here from the text rather than with Tether's own
 * classes (the preamble, a HELLO offering the one codec, then DATA frames; a PING is answered);
 * Netty's its length-prefixed frames; raw its pre-encoded frames. What differs from one contender
 * to the next is then only the server.
 */
final class PlainClient implements ClientEnd {
  private static final byte[] PREAMBLE = {0x54, 0x45, 0x54, 0x48, 0x45, 0x52, 0x00, 0x01};
  private static final int HELLO = 0x01;
  private static final int WELCOME = 0x02;
  private static final int DATA = 0x03;
  private static final int PING = 0x06;
  private static final int PONG = 0x07;
  private static final int GOAWAY = 0x08;
  private static final int MAX_FRAME_BYTES = 16 * 1024 * 1024;

  private final Contender contender;
  private final java.nio.channels.SocketChannel channel;
  private final Codec codec;
  private final Class<?> type;
  private final int typeId;
  private final LongFunction<Object> messages;
  private final EncodeBuffer encoded = new EncodeBuffer(4096);
  private ByteBuffer out = ByteBuffer.allocateDirect(4096);
  private ByteBuffer in = ByteBuffer.allocateDirect(4096);

  private PlainClient(Contender contender, String codecName, InetSocketAddress server)
      throws IOException {
    this.contender = contender;
    MessageTypes types = Payloads.types(codecName);
    this.codec = contender == Contender.RAW ? null : Codecs.create(codecName, types);
    this.type = Payloads.type(codecName);
    this.typeId = types.entryFor(type).id();
    this.messages = Sequenced.messages(codecName);
    this.channel = java.nio.channels.SocketChannel.open(server);
    channel.socket().setTcpNoDelay(true);
    if (contender.isTether()) {
      handshake(types, codecName);
    }
  }

  static ClientEnd connect(Contender contender, String codec, InetSocketAddress server)
      throws IOException {
    return new PlainClient(contender, codec, server);
  }

  /** PROTOCOL.md §2 and §4: the preamble and HELLO at once, then the server's preamble, WELCOME. */
  private void handshake(MessageTypes types, String codecName) throws IOException {
    byte[] app = types.appProtocol().getBytes(StandardCharsets.UTF_8);
    byte[] name = codecName.getBytes(StandardCharsets.UTF_8);
    out.clear().put(PREAMBLE).position(PREAMBLE.length + 5);
    out.putShort((short) 0) // minorVersion
        .putLong(0) // nodeId: anonymous
        .putShort((short) app.length)
        .put(app)
        .putLong(types.fingerprint())
        .put((byte) 1) // one codec offered
        .putShort((short) name.length)
        .put(name)
        .putShort((short) 0) // serverName: not checked
        .putInt(MAX_FRAME_BYTES)
        .putInt(0) // heartbeatMillis: none
        .putInt(0) // idleTimeoutMillis: never
        .putShort((short) 0); // no extensions
    out.putInt(PREAMBLE.length, out.position() - PREAMBLE.length - 4)
        .put(PREAMBLE.length + 4, (byte) HELLO);
    write(out.flip());
    fill(PREAMBLE.length);
    for (int i = 0; i < PREAMBLE.length; i++) {
      if (in.get(i) != PREAMBLE[i]) {
        throw new IOException("the server did not answer with Tether's preamble");
      }
    }
    int frameType = readTetherFrame();
    if (frameType != WELCOME) {
      throw new IOException("the server answered the HELLO with frame type " + frameType);
    }
  }

  @Override
  public void roundTrip(long seq) throws IOException {
    if (contender == Contender.RAW) {
      out.clear().putInt(Sequenced.PAYLOAD_BYTES);
      Sequenced.putRawSeq(out.limit(Sequenced.RAW_FRAME_BYTES), 0, seq);
      write(out.position(0));
      fill(Sequenced.RAW_FRAME_BYTES);
      Sequenced.checkRawLength(in, 0);
      long got = Sequenced.rawSeq(in, 0);
      if (got != seq) {
        throw new IllegalStateException("sent message " + seq + " but got " + got + " back");
      }
      return;
    }
    encoded.reset(1024 * 1024);
    codec.encode(messages.apply(seq), encoded);
    int length = encoded.position();
    ensureOut(length + 10);
    out.clear();
    if (contender.isTether()) {
      out.putInt(0).put((byte) DATA);
      putVarint(typeId);
      out.put(encoded.array(), 0, length);
      out.putInt(0, out.position() - 4);
      write(out.flip());
      while (readTetherFrame() != DATA) {
        // a PING was answered; read on
      }
      ByteBuffer body = in.duplicate().limit(in.limit()).position(5);
      if (readVarint(body) != typeId) {
        throw new IOException("an echo of another type");
      }
      TetherEnds.expect(seq, codec.decode(type, body));
    } else {
      out.putInt(length).put(encoded.array(), 0, length);
      write(out.flip());
      fill(4);
      int frame = in.getInt(0);
      fillTo(4, 4 + frame);
      TetherEnds.expect(seq, codec.decode(type, in.duplicate().position(4).limit(4 + frame)));
    }
  }

  /**
   * Reads one whole Tether frame into {@link #in} (header at 0) and returns its type; answers a
   * PING, skips ancillary frames and fails on GOAWAY with the server's reason.
   */
  private int readTetherFrame() throws IOException {
    while (true) {
      fill(5);
      int length = in.getInt(0);
      if (length < 1 || length > MAX_FRAME_BYTES) {
        throw new IOException("a frame of length " + length);
      }
      fillTo(5, 4 + length);
      int frameType = in.get(4) & 0xFF;
      switch (frameType) {
        case PING -> {
          long payload = in.getLong(5);
          out.clear().putInt(9).put((byte) PONG).putLong(payload);
          write(out.flip());
        }
        case GOAWAY -> {
          int code = in.getShort(5) & 0xFFFF;
          byte[] reason = new byte[length - 3];
          in.get(7, reason);
          throw new IOException(
              "GOAWAY " + code + ": " + new String(reason, StandardCharsets.UTF_8));
        }
        default -> {
          if (frameType < 0x40) {
            return frameType;
          }
        }
      }
    }
  }

  private void putVarint(int value) {
    while ((value & ~0x7F) != 0) {
      out.put((byte) ((value & 0x7F) | 0x80));
      value >>>= 7;
    }
    out.put((byte) value);
  }

  private static int readVarint(ByteBuffer body) {
    int value = 0;
    for (int shift = 0; ; shift += 7) {
      byte b = body.get();
      value |= (b & 0x7F) << shift;
      if (b >= 0) {
        return value;
      }
    }
  }

  private void write(ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }

  /** Reads exactly {@code n} bytes into {@link #in}, from index 0. */
  private void fill(int n) throws IOException {
    in.clear().limit(n);
    readFully();
  }

  /**
   * Reads into {@link #in} until it holds {@code total} bytes from index 0, {@code have} already.
   */
  private void fillTo(int have, int total) throws IOException {
    if (in.capacity() < total) {
      ByteBuffer bigger = ByteBuffer.allocateDirect(total);
      bigger.put(in.position(0).limit(have));
      in = bigger;
    }
    in.limit(total).position(have);
    readFully();
  }

  private void readFully() throws IOException {
    while (in.hasRemaining()) {
      if (channel.read(in) < 0) {
        throw new EOFException(contender.label() + " server closed the connection");
      }
    }
    in.flip();
  }

  private void ensureOut(int capacity) {
    if (out.capacity() < capacity) {
      out = ByteBuffer.allocateDirect(capacity);
    }
  }

  @Override
  public Flow startEcho(int window) {
    throw new UnsupportedOperationException("the plain client makes round trips only");
  }

  @Override
  public Flow startOneWay() {
    throw new UnsupportedOperationException("the plain client makes round trips only");
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
