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
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;

/**
 * Blocking sockets that speak each server's own wire format: the same client for every contender,
 * as an outside load generator measures servers. Tether's server gets the protocol of {@code
 * PROTOCOL.md}, written here from the text rather than with Tether's own classes (the preamble, a
 * HELLO offering the one codec, then DATA frames; a PING is answered); Netty's its length-prefixed
 * frames; raw its pre-encoded frames. What differs from one contender to the next is then only the
 * server. Round trips, and pipelined echo as raw's client does it (a thread per connection that
 * answers each run of echoes it reads with as many new messages); no one-way stream, whose figure
 * is the server's count either way.
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
  private static final int READ_BYTES = 64 * 1024;

  private final Contender contender;
  private final Codec codec;
  private final Class<?> type;
  private final int typeId;
  private final LongFunction<Object> messages;
  private final List<Wire> wires = new ArrayList<>();

  private PlainClient(
      Contender contender, String codecName, InetSocketAddress server, int connections)
      throws IOException {
    this.contender = contender;
    MessageTypes types = Payloads.types(codecName);
    this.codec = contender == Contender.RAW ? null : Codecs.create(codecName, types);
    this.type = Payloads.type(codecName);
    this.typeId = types.entryFor(type).id();
    this.messages = Sequenced.messages(codecName);
    try {
      for (int i = 0; i < connections; i++) {
        Wire wire = new Wire(SocketChannel.open(server));
        wires.add(wire);
        if (contender.isTether()) {
          wire.handshake(types, codecName);
        }
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  static ClientEnd connect(
      Contender contender, String codec, InetSocketAddress server, int connections)
      throws IOException {
    return new PlainClient(contender, codec, server, connections);
  }

  @Override
  public void roundTrip(long seq) throws IOException {
    Wire wire = wires.get(0);
    wire.send(seq, 1);
    long got;
    do {
      got = wire.readMessage();
    } while (got == NONE);
    if (got != seq) {
      throw new IllegalStateException("sent message " + seq + " but got " + got + " back");
    }
  }

  @Override
  public Flow startEcho(int window) {
    Tally echoes = new Tally();
    RawEnds.Workers workers = new RawEnds.Workers("plain-client");
    for (Wire wire : wires) {
      SequenceCheck check = echoes.open();
      workers.start(sent -> wire.echo(window, check, sent, workers));
    }
    return workers.flow(echoes, true);
  }

  @Override
  public Flow startOneWay() {
    throw new UnsupportedOperationException("the plain client makes round trips and echoes only");
  }

  @Override
  public void close() throws IOException {
    for (Wire wire : wires) {
      wire.channel.close();
    }
  }

  /** What {@link Wire#readMessage} returns for a frame that carried no message (a PING). */
  private static final long NONE = Long.MIN_VALUE;

  /** One connection: its socket and buffers, used by one thread at a time. */
  private final class Wire {
    final SocketChannel channel;
    final EncodeBuffer encoded = new EncodeBuffer(4096);
    ByteBuffer out = ByteBuffer.allocateDirect(READ_BYTES);

    /** Bytes read and not yet taken, in read mode between calls. */
    ByteBuffer in = ByteBuffer.allocateDirect(READ_BYTES);

    Wire(SocketChannel channel) throws IOException {
      this.channel = channel;
      channel.socket().setTcpNoDelay(true);
      in.flip();
    }

    /**
     * PROTOCOL.md §2 and §4: the preamble and HELLO at once, then the server's preamble, WELCOME.
     */
    void handshake(MessageTypes types, String codecName) throws IOException {
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
      need(PREAMBLE.length);
      for (int i = 0; i < PREAMBLE.length; i++) {
        if (in.get() != PREAMBLE[i]) {
          throw new IOException("the server did not answer with Tether's preamble");
        }
      }
      need(5);
      int length = in.getInt(in.position());
      int frameType = in.get(in.position() + 4) & 0xFF;
      if (frameType == GOAWAY) {
        readMessage(); // throws, with the server's reason
      }
      if (frameType != WELCOME) {
        throw new IOException("the server answered the HELLO with frame type " + frameType);
      }
      need(4 + length);
      in.position(in.position() + 4 + length);
    }

    /** Writes messages {@code first} to {@code first + n - 1}, in one write where they fit. */
    void send(long first, int n) throws IOException {
      out.clear();
      for (long seq = first; seq < first + n; seq++) {
        if (contender == Contender.RAW) {
          ensureOut(Sequenced.RAW_FRAME_BYTES);
          int at = out.position();
          out.putInt(Sequenced.PAYLOAD_BYTES).position(at + Sequenced.RAW_FRAME_BYTES);
          Sequenced.putRawSeq(out, at, seq);
          continue;
        }
        encoded.reset(1024 * 1024);
        codec.encode(messages.apply(seq), encoded);
        int length = encoded.position();
        ensureOut(length + 10);
        int at = out.position();
        if (contender.isTether()) {
          out.putInt(0).put((byte) DATA);
          putVarint(typeId);
        } else {
          out.putInt(length);
        }
        out.put(encoded.array(), 0, length);
        if (contender.isTether()) {
          out.putInt(at, out.position() - at - 4);
        }
      }
      write(out.flip());
    }

    /**
     * Keeps {@code window} messages in flight: every run of echoes read is answered with as many
     * new messages, in one write.
     */
    void echo(int window, SequenceCheck check, AtomicLong sent, RawEnds.Workers workers)
        throws IOException {
      send(0, window);
      long next = window;
      sent.lazySet(next);
      long received = 0;
      while (workers.running || received < next) {
        int n = 0;
        do {
          long got = readMessage();
          if (got != NONE) {
            check.accept(got);
            n++;
          }
        } while (hasWholeFrame());
        received += n;
        if (workers.running && n > 0) {
          send(next, n);
          next += n;
          sent.lazySet(next);
        }
      }
    }

    /**
     * Reads the next frame, from what was read before or from the socket, and returns the number of
     * the message it carries, or {@link #NONE} for a PING (answered here); fails on GOAWAY, with
     * the server's reason.
     */
    long readMessage() throws IOException {
      if (contender == Contender.RAW) {
        need(Sequenced.RAW_FRAME_BYTES);
        int at = in.position();
        Sequenced.checkRawLength(in, at);
        in.position(at + Sequenced.RAW_FRAME_BYTES);
        return Sequenced.rawSeq(in, at);
      }
      need(4);
      int length = in.getInt(in.position());
      if (length < 1 || length > MAX_FRAME_BYTES) {
        throw new IOException("a frame of length " + length);
      }
      need(4 + length);
      int at = in.position();
      int end = at + 4 + length;
      in.position(end);
      ByteBuffer body = in.duplicate().limit(end).position(at + 4);
      if (!contender.isTether()) {
        return Sequenced.seq(codec.decode(type, body));
      }
      int frameType = body.get() & 0xFF;
      switch (frameType) {
        case DATA -> {
          if (readVarint(body) != typeId) {
            throw new IOException("an echo of another type");
          }
          return Sequenced.seq(codec.decode(type, body));
        }
        case PING -> {
          ByteBuffer pong = ByteBuffer.allocate(13).putInt(9).put((byte) PONG);
          write(pong.putLong(body.getLong()).flip());
          return NONE;
        }
        case GOAWAY -> {
          int code = body.getShort() & 0xFFFF;
          throw new IOException(
              "GOAWAY " + code + ": " + StandardCharsets.UTF_8.decode(body).toString());
        }
        default -> {
          if (frameType < 0x40) {
            throw new IOException("unexpected frame type " + frameType);
          }
          return NONE; // ancillary: skipped
        }
      }
    }

    private boolean hasWholeFrame() {
      if (contender == Contender.RAW) {
        return in.remaining() >= Sequenced.RAW_FRAME_BYTES;
      }
      return in.remaining() >= 4 && in.remaining() >= 4 + in.getInt(in.position());
    }

    /** Reads until {@link #in} holds at least {@code n} bytes from its position. */
    private void need(int n) throws IOException {
      if (in.remaining() >= n) {
        return;
      }
      if (in.capacity() < n) {
        ByteBuffer bigger = ByteBuffer.allocateDirect(n);
        bigger.put(in);
        in = bigger;
      } else {
        in.compact();
      }
      while (in.position() < n) {
        if (channel.read(in) < 0) {
          throw new EOFException(contender.label() + " server closed the connection");
        }
      }
      in.flip();
    }

    private void putVarint(int value) {
      while ((value & ~0x7F) != 0) {
        out.put((byte) ((value & 0x7F) | 0x80));
        value >>>= 7;
      }
      out.put((byte) value);
    }

    private void ensureOut(int more) {
      if (out.remaining() < more) {
        ByteBuffer bigger =
            ByteBuffer.allocateDirect(Math.max(2 * out.capacity(), out.position() + more));
        bigger.put(out.flip());
        out = bigger;
      }
    }

    private void write(ByteBuffer buffer) throws IOException {
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
    }
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
}
