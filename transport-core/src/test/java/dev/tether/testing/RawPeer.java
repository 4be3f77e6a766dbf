package dev.tether.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A Tether client written by hand over a blocking {@link Socket}, to check the server's bytes
 * independently of the engine's own encoders and decoders. Every read is strict ({@code readFully})
 * and bounded by {@link #READ_TIMEOUT_MILLIS}, so a missing byte fails the test instead of hanging
 * it.
 *
 * <p>Not thread safe: one test thread drives it.
 */
public final class RawPeer implements AutoCloseable {
  /** The longest any single read waits; a test never hangs longer than this per read. */
  public static final int READ_TIMEOUT_MILLIS = 5000;

  /** ASCII "TETHER", a zero byte, protocol major version 1 (PROTOCOL.md §2). */
  public static final byte[] PREAMBLE = Hex.decode("544554484552 00 01");

  /** The largest frame this peer agrees to read; a bigger length means the server is broken. */
  private static final int SANITY_LIMIT = 1 << 20;

  // Frame types (PROTOCOL.md §3).
  public static final int HELLO = 0x01;
  public static final int WELCOME = 0x02;
  public static final int DATA = 0x03;
  public static final int REQUEST = 0x04;
  public static final int RESPONSE = 0x05;
  public static final int PING = 0x06;
  public static final int PONG = 0x07;
  public static final int GOAWAY = 0x08;

  private final Socket socket;
  private final Socket tcp;
  private final DataInputStream in;
  private final OutputStream out;

  private RawPeer(Socket socket, Socket tcp) throws IOException {
    this.socket = socket;
    this.tcp = tcp;
    this.in = new DataInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  /**
   * Connects with TLS (the JDK's own {@link SSLSocket}, independent of the engine's TLS), checking
   * the server's certificate against {@code context} and {@code hostName}; then speaks bytes as
   * {@link #connect} does, encrypted.
   */
  public static RawPeer connectTls(SocketAddress address, SSLContext context, String hostName)
      throws IOException {
    Socket tcp = new Socket();
    tcp.connect(address, READ_TIMEOUT_MILLIS);
    tcp.setSoTimeout(READ_TIMEOUT_MILLIS);
    tcp.setTcpNoDelay(true);
    SSLSocket tls =
        (SSLSocket)
            context
                .getSocketFactory()
                .createSocket(
                    tcp, hostName, ((java.net.InetSocketAddress) address).getPort(), true);
    tls.setUseClientMode(true);
    tls.startHandshake();
    return new RawPeer(tls, tcp);
  }

  /** Writes bytes straight to the TCP socket, beneath TLS: a peer that breaks the TLS stream. */
  public void writeBeneathTls(byte[] bytes) throws IOException {
    tcp.getOutputStream().write(bytes);
    tcp.getOutputStream().flush();
  }

  /** Connects to {@code address} with reads bounded by {@link #READ_TIMEOUT_MILLIS}. */
  public static RawPeer connect(SocketAddress address) throws IOException {
    return connect(address, 0);
  }

  /**
   * Connects with a small receive buffer (if {@code receiveBufferBytes} is positive), so that a
   * peer that does not read pushes back on the server after a few kilobytes rather than megabytes.
   */
  public static RawPeer connect(SocketAddress address, int receiveBufferBytes) throws IOException {
    Socket socket = new Socket();
    if (receiveBufferBytes > 0) {
      socket.setReceiveBufferSize(receiveBufferBytes);
    }
    socket.connect(address, READ_TIMEOUT_MILLIS);
    socket.setSoTimeout(READ_TIMEOUT_MILLIS);
    socket.setTcpNoDelay(true);
    return new RawPeer(socket, socket);
  }

  /**
   * Speaks for the server end of a socket a {@link java.net.ServerSocket} accepted, to test a
   * client against a server written by hand: reads are bounded as {@link #connect}'s are.
   */
  public static RawPeer accepted(Socket socket) throws IOException {
    socket.setSoTimeout(READ_TIMEOUT_MILLIS);
    socket.setTcpNoDelay(true);
    return new RawPeer(socket, socket);
  }

  /** Changes the bound on each read, e.g. to assert that something arrives sooner. */
  public void readTimeout(int millis) throws IOException {
    socket.setSoTimeout(millis);
  }

  /** Returns this side's port, which the server names in its log lines and reasons. */
  public int localPort() {
    return socket.getLocalPort();
  }

  // ------------------------------------------------------------------ writing

  /** Writes the bytes as they are, in one write call. */
  public void write(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** Writes the bytes spelled in hex; whitespace is ignored. */
  public void writeHex(String hex) throws IOException {
    write(Hex.decode(hex));
  }

  /** Writes one frame: u32 length (type byte + body), u8 type, body. */
  public void writeFrame(int type, byte[] body) throws IOException {
    write(frame(type, body));
  }

  /** Returns one frame's bytes: u32 length (type byte + body), u8 type, body. */
  public static byte[] frame(int type, byte[] body) {
    return ByteBuffer.allocate(5 + body.length)
        .putInt(1 + body.length)
        .put((byte) type)
        .put(body)
        .array();
  }

  /** Writes the preamble and the HELLO in one go, as a client does (PROTOCOL.md §2). */
  public void writePreambleAndHello(Hello hello) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bytes.writeBytes(PREAMBLE);
    bytes.writeBytes(frame(HELLO, hello.body()));
    write(bytes.toByteArray());
  }

  /**
   * Completes a handshake the server must accept: writes preamble and HELLO, checks the preamble
   * that comes back and returns the WELCOME.
   */
  public Welcome handshake(Hello hello) throws IOException {
    writePreambleAndHello(hello);
    assertThat(readBytes(PREAMBLE.length)).as("server preamble").isEqualTo(PREAMBLE);
    Frame frame = readFrame();
    assertThat(frame.type())
        .as("frame after the preamble (GOAWAY would be %s)", frame.describe())
        .isEqualTo(WELCOME);
    return Welcome.parse(frame.body());
  }

  /** Writes DATA: varint type id, then the payload. */
  public void writeData(int typeId, byte[] payload) throws IOException {
    writeFrame(DATA, concat(varint(typeId), payload));
  }

  /** Writes REQUEST: u64 request id, varint type id, then the payload. */
  public void writeRequest(long requestId, int typeId, byte[] payload) throws IOException {
    write(requestFrame(requestId, typeId, payload));
  }

  /** Returns a REQUEST frame's bytes: u64 request id, varint type id, then the payload. */
  public static byte[] requestFrame(long requestId, int typeId, byte[] payload) {
    return frame(
        REQUEST,
        concat(ByteBuffer.allocate(8).putLong(requestId).array(), varint(typeId), payload));
  }

  /** Writes GOAWAY: u16 code, then the UTF-8 reason. */
  public void writeGoAway(int code, String reason) throws IOException {
    writeFrame(GOAWAY, concat(ByteBuffer.allocate(2).putShort((short) code).array(), utf8(reason)));
  }

  // ------------------------------------------------------------------ reading

  /** Reads exactly {@code n} bytes. */
  public byte[] readBytes(int n) throws IOException {
    byte[] bytes = new byte[n];
    in.readFully(bytes);
    return bytes;
  }

  /** Reads the 8-byte preamble and asserts that it is Tether's. */
  public void readPreamble() throws IOException {
    assertThat(readBytes(PREAMBLE.length)).as("server preamble").isEqualTo(PREAMBLE);
  }

  /** Reads one whole frame. */
  public Frame readFrame() throws IOException {
    long length = in.readInt() & 0xFFFF_FFFFL;
    assertThat(length).as("frame length").isBetween(1L, (long) SANITY_LIMIT);
    int type = in.readUnsignedByte();
    return new Frame(type, readBytes((int) length - 1));
  }

  /**
   * Reads frames until one that is not a PING, answering each PING with its PONG, so that a test
   * waiting for an answer is not tripped by a heartbeat that happens to fall in between.
   */
  public Frame readFrameAnsweringPings() throws IOException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CONTROL_ONLY_MILLIS);
    Frame frame = readFrame();
    while (frame.type() == PING) {
      checkDeadline(deadline);
      writeFrame(PONG, frame.body());
      frame = readFrame();
    }
    return frame;
  }

  /**
   * How long the reads that skip heartbeats wait for another frame: the peer's PINGs (every 2 s by
   * default) would keep the read timeout from ever firing, and a test that waits for a frame that
   * never comes would hang instead of failing.
   */
  public static final long CONTROL_ONLY_MILLIS = 30_000;

  private static void checkDeadline(long deadline) throws SocketTimeoutException {
    if (System.nanoTime() - deadline > 0) {
      throw new SocketTimeoutException(
          "only heartbeats and ACKs for " + CONTROL_ONLY_MILLIS + " ms, no other frame");
    }
  }

  /**
   * Reads frames until one that is neither PING (answered) nor ancillary (skipped, as PROTOCOL.md
   * §4 says a receiver that does not need it may), so that heartbeats and ACKs do not get in the
   * way of what a test waits for.
   */
  public Frame readFrameSkippingControl() throws IOException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CONTROL_ONLY_MILLIS);
    Frame frame = readFrame();
    while (frame.type() == PING || frame.type() >= 0x40) {
      checkDeadline(deadline);
      if (frame.type() == PING) {
        writeFrame(PONG, frame.body());
      }
      frame = readFrame();
    }
    return frame;
  }

  /** Reads one frame and asserts that it is a GOAWAY. */
  public GoAway readGoAway() throws IOException {
    Frame frame = readFrame();
    assertThat(frame.type()).as("expected GOAWAY, got %s", frame.describe()).isEqualTo(GOAWAY);
    return GoAway.parse(frame.body());
  }

  /** Reads the refusal of a handshake: preamble, GOAWAY, then end of stream. */
  public GoAway readRefusal() throws IOException {
    readPreamble();
    GoAway goAway = readGoAway();
    assertEndOfStream();
    return goAway;
  }

  /** Asserts that the server has closed its side: the next read finds end of stream. */
  public void assertEndOfStream() throws IOException {
    assertThat(in.read()).as("end of stream").isEqualTo(-1);
  }

  /** Closes with a TCP reset, without GOAWAY: as a crashed process or a broken route would. */
  public void resetAbruptly() throws IOException {
    tcp.setSoLinger(true, 0); // beneath TLS if there is TLS: no close_notify either
    tcp.close();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  // ------------------------------------------------------------------ encodings, by hand

  /** Unsigned LEB128 (PROTOCOL.md §1), written here independently of the engine's Varint. */
  public static byte[] varint(int value) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int v = value;
    while (v >= 0x80) {
      bytes.write((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    bytes.write(v);
    return bytes.toByteArray();
  }

  /** Returns the UTF-8 bytes of {@code s}. */
  public static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Returns the parts one after another. */
  /**
   * Returns what a server that accepts a HELLO for {@code types} writes: its preamble and a WELCOME
   * choosing {@code codec}, with a 1 MiB frame limit and neither heartbeat nor idle timeout.
   */
  public static byte[] preambleAndWelcome(dev.tether.MessageTypes types, String codec) {
    return concat(
        PREAMBLE,
        new dev.tether.internal.wire.Handshake(
                0,
                0,
                types.appProtocol(),
                types.fingerprint(),
                List.of(codec),
                "",
                1 << 20,
                0,
                0,
                new byte[0])
            .encodeWelcome());
  }

  public static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      bytes.writeBytes(part);
    }
    return bytes.toByteArray();
  }

  /** The schema fingerprint of PROTOCOL.md §5, computed from its text. */
  public static long fingerprint(String text) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(utf8(text));
      return ByteBuffer.wrap(digest, 0, 8).getLong();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** One received frame. */
  public record Frame(int type, byte[] body) {
    public ByteBuffer buffer() {
      return ByteBuffer.wrap(body);
    }

    public String describe() {
      return String.format("frame type 0x%02x with body %s", type, Hex.encode(body));
    }
  }

  /** A GOAWAY body: u16 code, UTF-8 reason. */
  public record GoAway(int code, String reason) {
    public static GoAway parse(byte[] body) {
      assertThat(body.length).as("GOAWAY body length").isGreaterThanOrEqualTo(2);
      ByteBuffer buffer = ByteBuffer.wrap(body);
      int code = buffer.getShort() & 0xFFFF;
      return new GoAway(code, new String(body, 2, body.length - 2, StandardCharsets.UTF_8));
    }
  }

  /** A WELCOME body, parsed field by field (PROTOCOL.md §4). */
  public record Welcome(
      int minorVersion,
      long nodeId,
      String appProtocol,
      long schemaFingerprint,
      String codec,
      String serverName,
      long maxFrameSize,
      long heartbeatMillis,
      long idleTimeoutMillis,
      byte[] extensions) {
    public static Welcome parse(byte[] body) {
      try {
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(body));
        int minor = in.readUnsignedShort();
        long nodeId = in.readLong();
        String app = readStr(in);
        long fingerprint = in.readLong();
        String codec = readStr(in);
        String serverName = readStr(in);
        long maxFrameSize = in.readInt() & 0xFFFF_FFFFL;
        long heartbeat = in.readInt() & 0xFFFF_FFFFL;
        long idle = in.readInt() & 0xFFFF_FFFFL;
        byte[] extensions = new byte[in.readUnsignedShort()];
        in.readFully(extensions);
        return new Welcome(
            minor,
            nodeId,
            app,
            fingerprint,
            codec,
            serverName,
            maxFrameSize,
            heartbeat,
            idle,
            extensions);
      } catch (IOException e) {
        throw new UncheckedIOException("WELCOME body is truncated: " + Hex.encode(body), e);
      }
    }

    private static String readStr(DataInputStream in) throws IOException {
      byte[] bytes = new byte[in.readUnsignedShort()];
      in.readFully(bytes);
      return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Returns the WELCOME body with these fields, encoded by hand (PROTOCOL.md §4). */
    public byte[] body() {
      return Hello.handshakeBody(
          minorVersion,
          nodeId,
          appProtocol,
          schemaFingerprint,
          out -> Hello.writeStr(out, codec),
          serverName,
          maxFrameSize,
          heartbeatMillis,
          idleTimeoutMillis,
          extensions);
    }
  }

  /** A HELLO body built field by field (PROTOCOL.md §4); starts as the echo profile's. */
  public static final class Hello {
    private int minorVersion = 0;
    private long nodeId = 0;
    private String appProtocol = "tether-echo";
    private long schemaFingerprint = fingerprint("tether-echo\n1=echo.Echo\n");
    private List<String> codecs = List.of("bytes");
    private String serverName = "";
    private long maxFrameSize = 1 << 20;
    private long heartbeatMillis = 0;
    private long idleTimeoutMillis = 0;
    private byte[] extensions = new byte[0];

    /** Returns a HELLO for {@code types}: its app protocol, and the fingerprint computed here. */
    public static Hello forTypes(dev.tether.MessageTypes types) {
      return new Hello()
          .appProtocol(types.appProtocol())
          .schemaFingerprint(fingerprint(types.fingerprintText()));
    }

    public Hello nodeId(long nodeId) {
      this.nodeId = nodeId;
      return this;
    }

    public Hello appProtocol(String appProtocol) {
      this.appProtocol = appProtocol;
      return this;
    }

    public Hello schemaFingerprint(long schemaFingerprint) {
      this.schemaFingerprint = schemaFingerprint;
      return this;
    }

    public Hello codecs(String... codecs) {
      this.codecs = List.of(codecs);
      return this;
    }

    public Hello serverName(String serverName) {
      this.serverName = serverName;
      return this;
    }

    public Hello maxFrameSize(long maxFrameSize) {
      this.maxFrameSize = maxFrameSize;
      return this;
    }

    public Hello heartbeatMillis(long heartbeatMillis) {
      this.heartbeatMillis = heartbeatMillis;
      return this;
    }

    public Hello idleTimeoutMillis(long idleTimeoutMillis) {
      this.idleTimeoutMillis = idleTimeoutMillis;
      return this;
    }

    public Hello minorVersion(int minorVersion) {
      this.minorVersion = minorVersion;
      return this;
    }

    /** Sets the raw extensions field (PROTOCOL.md §5). */
    public Hello extensions(byte[] extensions) {
      this.extensions = extensions.clone();
      return this;
    }

    public byte[] body() {
      return handshakeBody(
          minorVersion,
          nodeId,
          appProtocol,
          schemaFingerprint,
          out -> {
            out.writeByte(codecs.size());
            for (String codec : codecs) {
              writeStr(out, codec);
            }
          },
          serverName,
          maxFrameSize,
          heartbeatMillis,
          idleTimeoutMillis,
          extensions);
    }

    /** Writes one field of a handshake body. */
    @FunctionalInterface
    interface FieldWriter {
      void write(DataOutputStream out) throws IOException;
    }

    /**
     * HELLO and WELCOME have the same fields but the codec one: the list offered in HELLO, the one
     * chosen in WELCOME (PROTOCOL.md §4).
     */
    static byte[] handshakeBody(
        int minorVersion,
        long nodeId,
        String appProtocol,
        long schemaFingerprint,
        FieldWriter codecField,
        String serverName,
        long maxFrameSize,
        long heartbeatMillis,
        long idleTimeoutMillis,
        byte[] extensions) {
      try {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeShort(minorVersion);
        out.writeLong(nodeId);
        writeStr(out, appProtocol);
        out.writeLong(schemaFingerprint);
        codecField.write(out);
        writeStr(out, serverName);
        out.writeInt((int) maxFrameSize);
        out.writeInt((int) heartbeatMillis);
        out.writeInt((int) idleTimeoutMillis);
        out.writeShort(extensions.length);
        out.write(extensions);
        return bytes.toByteArray();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    private static void writeStr(DataOutputStream out, String s) throws IOException {
      byte[] bytes = utf8(s);
      out.writeShort(bytes.length);
      out.write(bytes);
    }
  }
}
