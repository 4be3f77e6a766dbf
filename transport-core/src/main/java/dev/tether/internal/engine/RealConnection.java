package dev.tether.internal.engine;

import dev.tether.ConnectionClosedException;
import dev.tether.ConnectionMetrics;
import dev.tether.GoAwayCode;
import dev.tether.HandshakeException;
import dev.tether.MessageTypes;
import dev.tether.PeerInfo;
import dev.tether.RequestFailedException;
import dev.tether.TetherConfig;
import dev.tether.TetherException;
import dev.tether.TetherTimeoutException;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.internal.wire.FrameDecoder;
import dev.tether.internal.wire.FrameType;
import dev.tether.internal.wire.Frames;
import dev.tether.internal.wire.GoAway;
import dev.tether.internal.wire.Handshake;
import dev.tether.internal.wire.Preamble;
import dev.tether.internal.wire.ProtocolException;
import dev.tether.internal.wire.Varint;
import dev.tether.internal.wire.WireStrings;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The protocol state machine of one connection on its event loop: handshake, frame dispatch,
 * heartbeats, idle and handshake timeouts, and the graceful close of PROTOCOL.md §8. Sending,
 * requests and delivery live in {@link RealConnectionBase}.
 */
final class RealConnection<O, I> extends RealConnectionBase<O, I>
    implements EventLoop.Handler, EventLoop.Ticker, FrameDecoder.Listener {
  private static final Logger log = LoggerFactory.getLogger(RealConnection.class);

  /** Bytes a closing connection still reads, beyond what the handler takes, before giving up. */
  private static final long DRAIN_READ_LIMIT = 64L * 1024 * 1024;

  private final SocketChannel channel;
  private final boolean client;
  private final List<String> codecNames;
  private final String serverName;
  private final FrameDecoder decoder;
  private final ConnectionListener listener;
  private SelectionKey key;

  private long connectDeadline = Long.MAX_VALUE;
  private long handshakeDeadline;
  private long drainDeadline = Long.MAX_VALUE;
  private long heartbeatNanos;
  private final long idleNanos;
  private long lastReadNanos;
  private volatile long lastWriteNanos;
  private long lastActivityNanos;
  private long lastPingNanos;
  private long drainBytesRead;

  private boolean readPaused;
  private boolean discardInput;
  private boolean outputShutdown;
  private boolean eof;
  private boolean goAwayReceived;
  private boolean closed;
  private boolean preambleSent;
  private boolean handshakeFailureReported;

  /** Told about handshake completion and close; the server's registry or the client's future. */
  interface ConnectionListener {
    void onOpen(RealConnection<?, ?> connection);

    void onHandshakeFailed(RealConnection<?, ?> connection, TetherException cause);

    void onClosed(RealConnection<?, ?> connection);
  }

  RealConnection(
      EventLoop loop,
      SocketChannel channel,
      boolean client,
      MessageTypes types,
      TetherConfig config,
      List<String> codecNames,
      String serverName,
      Handlers<O, I> handlers,
      SocketAddress remoteAddress,
      ConnectionListener listener) {
    super(loop, types, config, handlers, remoteAddress);
    this.channel = channel;
    this.client = client;
    this.codecNames = codecNames;
    this.serverName = serverName;
    this.listener = listener;
    this.decoder = new FrameDecoder(FrameDecoder.HANDSHAKE_MAX_FRAME_LENGTH, true);
    this.idleNanos = OutboundBuffer.nanos(config.idleTimeout());
  }

  // ---------------------------------------------------------------- registration and connect

  /**
   * Registers the channel; loop thread only. For a client, {@code connected} says if connect is
   * done.
   */
  void register(boolean connected) throws IOException {
    long now = System.nanoTime();
    lastReadNanos = lastWriteNanos = lastActivityNanos = lastPingNanos = now;
    lastSendNanos = now - BURST_NANOS;
    handshakeDeadline = now + OutboundBuffer.nanos(config.handshakeTimeout());
    loop.addTicker(this);
    if (client && !connected) {
      connectDeadline = now + OutboundBuffer.nanos(config.connectTimeout());
      handshakeDeadline = Long.MAX_VALUE; // starts once connected
      key = channel.register(loop.selector(), SelectionKey.OP_CONNECT, this);
    } else {
      key = channel.register(loop.selector(), SelectionKey.OP_READ, this);
      if (client) {
        sendHello();
      }
    }
    loop.scheduleTick(Math.min(connectDeadline, handshakeDeadline));
  }

  private void sendHello() {
    connectDeadline = Long.MAX_VALUE;
    handshakeDeadline = System.nanoTime() + OutboundBuffer.nanos(config.handshakeTimeout());
    loop.scheduleTick(handshakeDeadline);
    Handshake hello =
        new Handshake(
            Handshake.MINOR_VERSION,
            config.nodeId(),
            types.appProtocol(),
            types.fingerprint(),
            codecNames,
            serverName,
            config.maxFrameBytes(),
            config.heartbeatInterval().toMillis(),
            config.idleTimeout().toMillis(),
            new byte[0]);
    outbound.appendControl(Preamble.bytes());
    outbound.appendControl(hello.encodeHello());
    flush();
  }

  @Override
  public void onReady(SelectionKey selected) {
    if (closed || !selected.isValid()) {
      return;
    }
    int ready = selected.readyOps();
    if ((ready & SelectionKey.OP_CONNECT) != 0) {
      finishConnect();
      return;
    }
    if ((ready & SelectionKey.OP_WRITE) != 0) {
      flush();
    }
    if (!closed && (ready & SelectionKey.OP_READ) != 0) {
      read();
    }
  }

  private void finishConnect() {
    try {
      if (channel.finishConnect()) {
        key.interestOps(SelectionKey.OP_READ);
        sendHello();
      }
    } catch (IOException e) {
      String why = "cannot connect to " + peerName + ": " + e.getMessage();
      failHandshake(new TetherException(why, e));
      closeNow(new ConnectionClosedException(GoAwayCode.UNKNOWN, -1, why, false, e), why);
    }
  }

  // ---------------------------------------------------------------- writing

  @Override
  void flush() {
    if (closed || !loop.inLoop()) {
      if (!closed) {
        scheduleFlush();
      }
      return;
    }
    if (connectDeadline != Long.MAX_VALUE) {
      return; // still connecting; the HELLO goes out once connected
    }
    ByteBuffer buffer = loop.writeBuffer;
    try {
      while (true) {
        buffer.clear();
        int queued = outbound.peek(buffer);
        if (queued == 0) {
          break;
        }
        buffer.flip();
        int written = channel.write(buffer);
        if (written > 0) {
          outbound.consume(written);
          bytesSent += written;
          lastWriteNanos = lastActivityNanos = System.nanoTime();
        }
        if (written < queued) {
          interest(SelectionKey.OP_WRITE, true);
          return;
        }
      }
      interest(SelectionKey.OP_WRITE, false);
      if (goAwaySent && !outputShutdown && outbound.isClosed() && outbound.size() == 0) {
        outputShutdown = true;
        channel.shutdownOutput();
        maybeFinishClose();
      }
    } catch (IOException e) {
      connectionLost("write failed: " + e.getMessage(), e);
    }
  }

  /**
   * Sends closer than this to the previous one form a burst: they are queued for the loop to write
   * in batches, since a system call per message would cost more than the loop's wake-up.
   */
  private static final long BURST_NANOS = 20_000;

  private volatile long lastSendNanos;

  @Override
  boolean tryWriteDirect(byte[] frame, int length) {
    long now = System.nanoTime();
    long previous = lastSendNanos;
    lastSendNanos = now;
    if (now - previous < BURST_NANOS || loop.inLoop() || closed) {
      return false;
    }
    int written;
    try {
      written = outbound.writeDirect(frame, length, channel);
    } catch (IOException e) {
      return false; // the loop sees the failure on its next read or write
    }
    if (written < 0) {
      return false;
    }
    bytesSent += written;
    lastWriteNanos = now;
    if (written < length) {
      scheduleFlush();
    }
    return true;
  }

  private void interest(int op, boolean on) {
    if (key == null || !key.isValid()) {
      return;
    }
    int ops = key.interestOps();
    int wanted = on ? ops | op : ops & ~op;
    if (wanted != ops) {
      key.interestOps(wanted);
    }
  }

  // ---------------------------------------------------------------- reading

  private void read() {
    ByteBuffer buffer = loop.readBuffer;
    try {
      for (int i = 0; i < 16 && !closed && !readPaused; i++) {
        buffer.clear();
        int n = channel.read(buffer);
        if (n < 0) {
          onEndOfStream();
          return;
        }
        if (n == 0) {
          break;
        }
        bytesReceived += n;
        lastActivityNanos = System.nanoTime();
        if (discardInput) {
          if ((drainBytesRead += n) > DRAIN_READ_LIMIT) {
            closeNow(closeCause, "peer kept sending while the connection was closing");
          }
          continue;
        }
        buffer.flip();
        decoder.decode(buffer, this);
        if (decoder.isPaused()) {
          pauseReading();
        }
      }
    } catch (ProtocolException e) {
      protocolError(e.code(), e.getMessage());
    } catch (IOException e) {
      connectionLost("read failed: " + e.getMessage(), e);
    } finally {
      afterDelivery();
    }
  }

  private void pauseReading() {
    readPaused = true;
    interest(SelectionKey.OP_READ, false);
  }

  /** Called on the loop once the inbound queue has room again. */
  @Override
  void resumeReading() {
    if (closed || !readPaused) {
      return;
    }
    readPaused = false;
    try {
      decoder.resume(this);
    } catch (ProtocolException e) {
      protocolError(e.code(), e.getMessage());
      return;
    } finally {
      afterDelivery();
    }
    if (decoder.isPaused()) {
      pauseReading();
    } else {
      interest(SelectionKey.OP_READ, true);
      read();
    }
  }

  @Override
  public void onPreamble(byte[] preamble) throws ProtocolException {
    if (Preamble.matches(preamble)) {
      return;
    }
    String seen = Preamble.describe(preamble, preamble.length);
    if (client) {
      HandshakeException cause =
          new HandshakeException(
              GoAwayCode.PROTOCOL_ERROR,
              peerName + " is not a Tether endpoint: it answered " + seen,
              false);
      failHandshake(cause);
      closeNow(cause, "bad preamble");
    } else {
      String why =
          Preamble.isOtherVersion(preamble)
              ? "it speaks Tether protocol major version " + (preamble[7] & 0xFF) + ", not 1"
              : "not a Tether client, it sent " + seen;
      log.warn("closing connection from {}: {}", peerName, why);
      closeNow(
          new ConnectionClosedException(GoAwayCode.PROTOCOL_ERROR, why, false), "bad preamble");
    }
    throw new ProtocolException(GoAwayCode.PROTOCOL_ERROR, "bad preamble");
  }

  @Override
  public boolean onFrame(int type, ByteBuffer body) throws ProtocolException {
    if (closed || discardInput) {
      return !closed;
    }
    lastReadNanos = System.nanoTime();
    if (!open) {
      return onHandshakeFrame(type, body);
    }
    if (goAwayReceived) {
      return true; // nothing may follow GOAWAY; ignore it
    }
    switch (type) {
      case FrameType.DATA -> {
        return onData(body);
      }
      case FrameType.REQUEST -> {
        return onRequest(body);
      }
      case FrameType.RESPONSE -> onResponse(body);
      case FrameType.PING -> onPing(body);
      case FrameType.PONG -> onPong(body);
      case FrameType.GOAWAY -> onGoAway(GoAway.decode(body));
      case FrameType.HELLO, FrameType.WELCOME ->
          throw new ProtocolException(
              GoAwayCode.PROTOCOL_ERROR,
              FrameType.name(type) + " after the handshake has completed");
      default -> {
        if (!FrameType.isAncillary(type)) {
          throw new ProtocolException(
              GoAwayCode.PROTOCOL_ERROR, "unknown critical frame type " + FrameType.name(type));
        }
      }
    }
    return true;
  }

  private boolean onHandshakeFrame(int type, ByteBuffer body) throws ProtocolException {
    if (type == FrameType.GOAWAY) {
      GoAway goAway = GoAway.decode(body);
      goAwayReceived = true;
      HandshakeException cause =
          new HandshakeException(
              goAway.knownCode(),
              goAway.code(),
              (client ? "server " + peerName + " refused the handshake: " : "") + goAway.reason(),
              true,
              null);
      failHandshake(cause);
      closeNow(cause, "handshake refused");
      return false;
    }
    if (client) {
      if (type != FrameType.WELCOME) {
        throw new ProtocolException(
            GoAwayCode.PROTOCOL_ERROR,
            "expected WELCOME or GOAWAY from the server, got " + FrameType.name(type));
      }
      Handshake welcome = Handshake.decodeWelcome(body);
      HandshakeJudge.checkWelcome(welcome, types, codecNames, serverName);
      becomeOpen(welcome, welcome.codecs().get(0));
    } else {
      if (type != FrameType.HELLO) {
        throw new ProtocolException(
            GoAwayCode.PROTOCOL_ERROR,
            "expected HELLO as the client's first frame, got " + FrameType.name(type));
      }
      Handshake hello = Handshake.decodeHello(body);
      String codec = HandshakeJudge.judgeHello(hello, types, codecNames, serverName);
      Handshake welcome =
          new Handshake(
              Handshake.MINOR_VERSION,
              config.nodeId(),
              types.appProtocol(),
              types.fingerprint(),
              List.of(codec),
              serverName,
              config.maxFrameBytes(),
              config.heartbeatInterval().toMillis(),
              config.idleTimeout().toMillis(),
              new byte[0]);
      sendServerPreamble();
      outbound.appendControl(welcome.encodeWelcome());
      becomeOpen(hello, codec);
      flush();
    }
    return true;
  }

  private void becomeOpen(Handshake peerHandshake, String codecName) {
    Codec codec = CodecRegistry.codec(codecName, types);
    int peerMax = (int) Math.min(Integer.MAX_VALUE, peerHandshake.maxFrameSize());
    this.peer =
        new PeerInfo(
            peerHandshake.nodeId(),
            remoteAddress,
            peerHandshake.appProtocol(),
            codecName,
            client ? peerHandshake.serverName() : serverName,
            peerMax,
            Duration.ofMillis(peerHandshake.heartbeatMillis()),
            Duration.ofMillis(peerHandshake.idleTimeoutMillis()));
    this.codec = codec;
    this.peerMaxFrameBytes = peerMax;
    decoder.maxFrameLength(config.maxFrameBytes());
    heartbeatNanos =
        TimeUnit.MILLISECONDS.toNanos(
            HandshakeJudge.heartbeatMillis(
                config.heartbeatInterval().toMillis(), peerHandshake.idleTimeoutMillis()));
    handshakeDeadline = Long.MAX_VALUE;
    lastPingNanos = System.nanoTime();
    open = true;
    if (handlers.onConnection != null) {
      deliverEvent(CONNECTED);
    }
    listener.onOpen(this);
    loop.scheduleTick(System.nanoTime());
  }

  private boolean onData(ByteBuffer body) throws ProtocolException {
    int frameBytes = body.remaining() + Frames.HEADER_BYTES;
    int typeId = Varint.read(body);
    MessageTypes.Entry entry = types.entryFor(typeId);
    if (entry == null) {
      throw new ProtocolException(
          GoAwayCode.CODEC_ERROR, "DATA with type id " + typeId + ", which is not registered");
    }
    Object message;
    try {
      message = decode(entry, body);
    } catch (CodecException e) {
      throw new ProtocolException(
          GoAwayCode.CODEC_ERROR,
          "cannot decode DATA of type "
              + typeId
              + " ("
              + entry.name()
              + ") with codec "
              + codec.name()
              + ": "
              + e.getMessage());
    }
    messagesReceived++;
    return deliverMessage(message, frameBytes);
  }

  private boolean onRequest(ByteBuffer body) throws ProtocolException {
    int frameBytes = body.remaining() + Frames.HEADER_BYTES;
    WireStrings.need(body, 8, "REQUEST id");
    long requestId = body.getLong();
    int typeId = Varint.read(body);
    messagesReceived++;
    if (handlers.onRequest == null) {
      respondError(requestId, dev.tether.RequestErrorCode.NO_HANDLER, "no request handler");
      return true;
    }
    MessageTypes.Entry entry = types.entryFor(typeId);
    if (entry == null) {
      respondError(
          requestId,
          dev.tether.RequestErrorCode.UNKNOWN_TYPE,
          "type id " + typeId + " is not registered");
      return true;
    }
    Object message;
    try {
      message = decode(entry, body);
    } catch (CodecException e) {
      respondError(
          requestId,
          dev.tether.RequestErrorCode.DECODE_FAILED,
          "cannot decode " + entry.name() + " with codec " + codec.name() + ": " + e.getMessage());
      return true;
    }
    return deliverRequest(requestId, message, frameBytes);
  }

  private void onResponse(ByteBuffer body) throws ProtocolException {
    WireStrings.need(body, 9, "RESPONSE id and status");
    long requestId = body.getLong();
    int status = body.get() & 0xFF;
    if (status > 1) {
      throw new ProtocolException(
          GoAwayCode.PROTOCOL_ERROR, "RESPONSE with unknown status " + status);
    }
    messagesReceived++;
    CompletableFuture<Object> future = pendingRequests.remove(requestId);
    if (future == null) {
      log.debug("ignoring a RESPONSE to unknown request #{} (timed out?)", requestId);
      return;
    }
    if (status == 0) {
      int typeId = Varint.read(body);
      MessageTypes.Entry entry = types.entryFor(typeId);
      if (entry == null) {
        completeExceptionally(
            future,
            new CodecException("response has type id " + typeId + ", which is not registered"));
        return;
      }
      try {
        complete(future, decode(entry, body));
      } catch (CodecException e) {
        completeExceptionally(future, e);
      }
    } else {
      WireStrings.need(body, 2, "RESPONSE error code");
      int errorCode = body.getShort() & 0xFFFF;
      completeExceptionally(
          future, new RequestFailedException(errorCode, WireStrings.lenientUtf8(body)));
    }
  }

  private void onPing(ByteBuffer body) throws ProtocolException {
    if (body.remaining() != 8) {
      throw new ProtocolException(
          GoAwayCode.PROTOCOL_ERROR, "PING body must be 8 bytes, was " + body.remaining());
    }
    ByteBuffer pong = Frames.allocate(FrameType.PONG, 8);
    pong.putLong(body.getLong());
    outbound.appendControl(pong.array());
    flush();
  }

  private void onPong(ByteBuffer body) throws ProtocolException {
    if (body.remaining() != 8) {
      throw new ProtocolException(
          GoAwayCode.PROTOCOL_ERROR, "PONG body must be 8 bytes, was " + body.remaining());
    }
    long sent = body.getLong();
    long rtt = System.nanoTime() - sent;
    if (rtt >= 0 && rtt < TimeUnit.MINUTES.toNanos(10)) {
      rttNanos = rtt;
      pings++;
    }
  }

  private void onGoAway(GoAway goAway) {
    goAwayReceived = true;
    ConnectionClosedException cause =
        new ConnectionClosedException(
            goAway.knownCode(), goAway.code(), goAway.reason(), true, null);
    if (closeCause == null) {
      closeCause = cause;
    }
    log.debug("{} sent GOAWAY {}: {}", peerName, goAway.code(), goAway.reason());
    failPendingRequests(cause);
    if (!goAwaySent) {
      startClose(GoAwayCode.NORMAL, "answering the peer's GOAWAY", false);
    }
    maybeFinishClose();
  }

  private void onEndOfStream() {
    eof = true;
    if (!goAwayReceived && !goAwaySent) {
      String why =
          open
              ? "peer " + peerName + " closed the connection without GOAWAY"
              : "peer " + peerName + " closed the connection during the handshake";
      ConnectionClosedException cause =
          open
              ? new ConnectionClosedException(GoAwayCode.UNKNOWN, -1, why, true, null)
              : new HandshakeException(GoAwayCode.UNKNOWN, -1, why, true, null);
      closeNow(cause, why);
      return;
    }
    interest(SelectionKey.OP_READ, false);
    maybeFinishClose();
  }

  // ---------------------------------------------------------------- closing

  /**
   * Starts a graceful close from any thread: no more sends, GOAWAY after what was accepted, then
   * half-close and drain.
   */
  @Override
  void startClose(GoAwayCode code, String reason, boolean error) {
    if (!outbound.appendFinal(GoAway.encodeFrame(code, reason))) {
      return;
    }
    goAwaySent = true;
    if (closeCause == null) {
      closeCause = new ConnectionClosedException(code, reason, false);
    }
    loop.execute(
        () -> {
          drainDeadline = System.nanoTime() + OutboundBuffer.nanos(config.drainTimeout());
          if (error) {
            discardInput = true;
          }
          loop.scheduleTick(drainDeadline);
          flush();
        });
  }

  private void sendServerPreamble() {
    if (!client && !preambleSent) {
      preambleSent = true;
      outbound.appendControl(Preamble.bytes());
    }
  }

  private void protocolError(GoAwayCode code, String reason) {
    if (closed) {
      return;
    }
    if (!open) {
      sendServerPreamble(); // a refused client still learns why from a Tether server
    }
    log.warn("closing connection with {}: {} ({})", peerName, reason, code);
    ConnectionClosedException cause = new ConnectionClosedException(code, reason, false);
    if (!open) {
      cause = new HandshakeException(code, reason, false);
      failHandshake(cause);
    }
    closeCause = closeCause == null || !goAwaySent ? cause : closeCause;
    failPendingRequests(cause);
    discardInput = true;
    if (!goAwaySent) {
      startClose(code, reason, true);
    }
  }

  private void connectionLost(String why, IOException e) {
    ConnectionClosedException cause =
        open
            ? new ConnectionClosedException(GoAwayCode.UNKNOWN, -1, why, true, e)
            : new HandshakeException(GoAwayCode.UNKNOWN, -1, why, true, e);
    closeNow(goAwaySent && outputShutdown ? closeCause : cause, why);
  }

  /** Tells whoever waits for the handshake that it failed; the caller closes. */
  private void failHandshake(TetherException cause) {
    if (!open && !handshakeFailureReported) {
      handshakeFailureReported = true;
      listener.onHandshakeFailed(this, cause);
    }
  }

  private void maybeFinishClose() {
    if (closed) {
      return;
    }
    if (outputShutdown && (goAwayReceived || eof)) {
      closeNow(closeCause, "closed gracefully");
    }
  }

  /** Closes the socket at once; loop thread only. */
  private void closeNow(ConnectionClosedException cause, String why) {
    if (closed) {
      return;
    }
    closed = true;
    if (closeCause == null) {
      closeCause = cause;
    }
    log.debug("connection with {} closed: {}", peerName, why);
    loop.removeTicker(this);
    if (key != null) {
      key.cancel();
    }
    try {
      channel.close();
    } catch (IOException e) {
      log.debug("closing channel", e);
    }
    outbound.discard();
    failPendingRequests(closeCause);
    failHandshake(closeCause);
    listener.onClosed(this);
    finishInbound();
  }

  @Override
  public long tick(long now) {
    if (closed) {
      return Long.MAX_VALUE;
    }
    if (now >= connectDeadline) {
      failHandshake(
          new TetherTimeoutException(
              "connect to "
                  + peerName
                  + " timed out after "
                  + config.connectTimeout().toMillis()
                  + " ms"));
      closeNow(
          new ConnectionClosedException(GoAwayCode.UNKNOWN, -1, "connect timed out", false, null),
          "connect timeout");
      return Long.MAX_VALUE;
    }
    if (now >= handshakeDeadline) {
      String why =
          (client ? "no WELCOME from " + peerName : "no complete HELLO from " + peerName)
              + " within the handshake timeout of "
              + config.handshakeTimeout().toMillis()
              + " ms";
      handshakeDeadline = Long.MAX_VALUE;
      protocolError(GoAwayCode.HANDSHAKE_TIMEOUT, why);
      return drainDeadline;
    }
    if (now >= drainDeadline) {
      int unsent = outbound.size();
      String why =
          "drain deadline of "
              + config.drainTimeout().toMillis()
              + " ms passed"
              + (unsent > 0 ? " with " + unsent + " bytes unsent" : "")
              + (goAwayReceived || eof ? "" : " before the peer's GOAWAY");
      ConnectionClosedException original = closeCause;
      ConnectionClosedException cause =
          unsent > 0 && original != null
              ? new ConnectionClosedException(
                  original.code(),
                  original.rawCode(),
                  original.reason() + "; " + why,
                  original.isRemote(),
                  null)
              : original;
      closeNow(cause, why);
      return Long.MAX_VALUE;
    }
    long next = Math.min(connectDeadline, Math.min(handshakeDeadline, drainDeadline));
    if (readPaused) {
      lastReadNanos = now; // our own consumer is slow, not the peer silent
    }
    if (open && !goAwaySent) {
      if (idleNanos > 0) {
        if (now - lastReadNanos >= idleNanos) {
          protocolError(
              GoAwayCode.IDLE_TIMEOUT,
              "no frame received from "
                  + peerName
                  + " for "
                  + TimeUnit.NANOSECONDS.toMillis(now - lastReadNanos)
                  + " ms (idle timeout "
                  + config.idleTimeout().toMillis()
                  + " ms)");
          return drainDeadline;
        }
        next = Math.min(next, lastReadNanos + idleNanos);
      }
      if (heartbeatNanos > 0) {
        // PONGs do not count as sent here, so that both sides measure the round trip even when
        // each answers the other's PINGs
        long lastSent = lastSendNanos - lastPingNanos > 0 ? lastSendNanos : lastPingNanos;
        long due = lastSent + heartbeatNanos;
        if (now - due >= 0) {
          if (outbound.size() == 0) {
            ByteBuffer ping = Frames.allocate(FrameType.PING, 8);
            ping.putLong(now);
            outbound.appendControl(ping.array());
            lastPingNanos = now;
            flush();
          }
          due = now + heartbeatNanos;
        }
        next = Math.min(next, due);
      }
      if (now - lastActivityNanos > TimeUnit.SECONDS.toNanos(1) && outbound.size() == 0) {
        outbound.trim();
      }
    }
    return next;
  }

  // ---------------------------------------------------------------- small accessors

  @Override
  public SocketAddress localAddress() {
    try {
      return channel.getLocalAddress();
    } catch (IOException e) {
      return null;
    }
  }

  @Override
  public ConnectionMetrics metrics() {
    return new ConnectionMetrics(
        messagesSent.sum(),
        messagesReceived,
        bytesSent,
        bytesReceived,
        outbound.size(),
        inbound.size(),
        pendingRequests.size(),
        Duration.ofNanos(rttNanos),
        pings);
  }

  @Override
  public CompletionStage<ConnectionClosedException> closeAsync() {
    startClose(GoAwayCode.NORMAL, "closed by the application", false);
    return onClose();
  }

  /** Closes for a server shutdown. */
  void shutdown() {
    loop.execute(
        () -> {
          if (!closed) {
            if (!open) {
              sendServerPreamble();
            }
            startClose(GoAwayCode.SHUTTING_DOWN, "the server is shutting down", false);
          }
        });
  }

  /** Forces the socket closed from any thread, e.g. past a server's close deadline. */
  void abort(String why) {
    loop.execute(
        () -> closeNow(new ConnectionClosedException(GoAwayCode.SHUTTING_DOWN, why, false), why));
  }

  @Override
  public void close() {
    closeAsync();
    if (isDispatchThread()) {
      return; // the close completes after this handler returns; waiting here would deadlock
    }
    try {
      onClose()
          .toCompletableFuture()
          .get(config.drainTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      log.warn("close of connection with {} did not finish within the drain timeout", peerName);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("close future never fails", e);
    }
  }

  @Override
  public String toString() {
    return (client ? "client" : "server") + " connection with " + peerName;
  }
}
