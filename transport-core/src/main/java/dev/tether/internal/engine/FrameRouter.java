package dev.tether.internal.engine;

import dev.tether.GoAwayCode;
import dev.tether.MessageTypes;
import dev.tether.RequestErrorCode;
import dev.tether.RequestFailedException;
import dev.tether.codec.CodecException;
import dev.tether.internal.wire.FrameDecoder;
import dev.tether.internal.wire.FrameType;
import dev.tether.internal.wire.Frames;
import dev.tether.internal.wire.GoAway;
import dev.tether.internal.wire.ProtocolException;
import dev.tether.internal.wire.Varint;
import dev.tether.internal.wire.WireStrings;
import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What each received frame means (PROTOCOL.md §3–§8): the preamble and handshake frames go to the
 * {@link Handshaker}; DATA and REQUEST to the {@link Mailbox}; RESPONSE to the {@link Requests};
 * PING and PONG to the keep-alive; GOAWAY to the connection's close. Small payloads are decoded
 * here, on the event loop; a payload larger than {@link #INLINE_DECODE_BYTES} is handed on
 * undecoded and decoded where a slow decode delays only its own connection.
 *
 * <p>Loop thread only.
 */
final class FrameRouter implements FrameDecoder.Listener {
  private static final Logger log = LoggerFactory.getLogger(FrameRouter.class);

  /**
   * Payloads up to this size are decoded on the event loop: codecs bound their decode cost to a
   * small multiple of the payload, so this costs at most about a millisecond. Larger ones are
   * decoded by the connection's dispatcher (messages, requests) or on the handler executor
   * (responses).
   */
  static final int INLINE_DECODE_BYTES = 64 * 1024;

  private final RealConnection<?, ?> connection;
  private final Handshaker handshaker;

  /**
   * What {@link #admit} reserved of the runtime's {@link ReceiveMemory} for the frame being
   * received: handed on with the frame's payload if it is decoded elsewhere, given back once the
   * frame has been handled here.
   */
  private long admitted;

  FrameRouter(RealConnection<?, ?> connection, Handshaker handshaker) {
    this.connection = connection;
    this.handshaker = handshaker;
  }

  @Override
  public void onPreamble(byte[] preamble) throws ProtocolException {
    handshaker.onPreamble(preamble);
  }

  /**
   * Reserves a large frame's bytes before it is gathered; false (reading pauses until another
   * connection gives some back) while the runtime's connections hold all there is.
   */
  @Override
  public boolean admit(int length) {
    long reserved = connection.receiveMemory.reserve(length);
    if (reserved < 0) {
      log.debug(
          "{}: reading paused: a {}-byte frame waits for memory other connections' large messages"
              + " hold",
          connection,
          length);
      return false;
    }
    admitted = reserved;
    return true;
  }

  /** Gives back the reservation of a frame that was not handed on; loop thread. */
  void releaseAdmitted() {
    long reserved = admitted;
    if (reserved != 0) {
      admitted = 0;
      connection.receiveMemory.release(reserved);
    }
  }

  /** Takes the reservation of the frame being handled, to give back when it has been. */
  private long takeAdmitted() {
    long reserved = admitted;
    admitted = 0;
    return reserved;
  }

  /** Gives back what the large frame just handled reserved, unless it was handed on. */
  @Override
  public void afterAdmitted() {
    releaseAdmitted();
  }

  @Override
  public boolean onFrame(int type, ByteBuffer body) throws ProtocolException {
    ConnectionState state = connection.state();
    if (state.isHandshaking()) {
      return handshaker.onFrame(type, body);
    }
    if (state == ConnectionState.CLOSED || connection.closer.peerGoAwayReceived()) {
      return true; // nothing may follow GOAWAY
    }
    switch (type) {
      case FrameType.DATA -> {
        return onData(body);
      }
      case FrameType.REQUEST -> {
        return onRequest(body);
      }
      case FrameType.RESPONSE -> onResponse(body);
      case FrameType.PING -> {
        return onPing(body);
      }
      case FrameType.PONG -> onPong(body);
      case FrameType.GOAWAY -> connection.closer.onPeerGoAway(GoAway.decode(body));
      case FrameType.ACK -> connection.resumption.onAck(body);
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

  // the hot path of each DATA frame; its refusals are built in methods of their own, which keeps
  // the frame loop's compiled code small enough for the JIT to fold onFrame into it
  private boolean onData(ByteBuffer body) throws ProtocolException {
    int frameBytes = body.remaining() + Frames.HEADER_BYTES;
    int typeId = Varint.read(body);
    MessageTypes.Entry entry = connection.types.entryFor(typeId);
    if (entry == null) {
      throw unregisteredData(typeId);
    }
    connection.countReceived();
    Object message;
    if (body.remaining() > INLINE_DECODE_BYTES) {
      message = new Mailbox.Undecoded(typeId, copy(body), takeAdmitted());
    } else {
      try {
        message = connection.decode(entry, body);
      } catch (CodecException e) {
        throw undecodableData(typeId, e);
      }
    }
    return connection.mailbox.offerMessage(message, frameBytes);
  }

  private static ProtocolException unregisteredData(int typeId) {
    return new ProtocolException(
        GoAwayCode.CODEC_ERROR, "DATA with type id " + typeId + ", which is not registered");
  }

  private ProtocolException undecodableData(int typeId, CodecException e) {
    return new ProtocolException(
        GoAwayCode.CODEC_ERROR, undecodableDataReason(connection, typeId, e));
  }

  /**
   * The CODEC_ERROR reason for DATA the codec could not read, naming the type id and the cause
   * (PROTOCOL.md §7), wherever the payload was decoded.
   */
  static String undecodableDataReason(
      RealConnection<?, ?> connection, int typeId, CodecException e) {
    MessageTypes.Entry entry = connection.types.entryFor(typeId);
    return "cannot decode DATA of type "
        + typeId
        + (entry != null ? " (" + entry.name() + ")" : "")
        + " with codec "
        + connection.codecName()
        + ": "
        + e.getMessage();
  }

  /**
   * The DECODE_FAILED message for a REQUEST the codec could not read, wherever the payload was
   * decoded.
   */
  static String undecodableRequestReason(
      RealConnection<?, ?> connection, int typeId, CodecException e) {
    MessageTypes.Entry entry = connection.types.entryFor(typeId);
    return "cannot decode "
        + (entry != null ? entry.name() : "type " + typeId)
        + " with codec "
        + connection.codecName()
        + ": "
        + e.getMessage();
  }

  private boolean onRequest(ByteBuffer body) throws ProtocolException {
    int frameBytes = body.remaining() + Frames.HEADER_BYTES;
    WireStrings.need(body, 8, "REQUEST id");
    long requestId = body.getLong();
    int typeId = Varint.read(body);
    connection.countReceived();
    MessageTypes.Entry entry = connection.types.entryFor(typeId);
    if (entry == null) {
      return connection.sender.respondOwed(
          requestId, RequestErrorCode.UNKNOWN_TYPE, "type id " + typeId + " is not registered");
    }
    Object message;
    if (body.remaining() > INLINE_DECODE_BYTES) {
      message = new Mailbox.Undecoded(typeId, copy(body), takeAdmitted());
    } else {
      try {
        message = connection.decode(entry, body);
      } catch (CodecException e) {
        return connection.sender.respondOwed(
            requestId,
            RequestErrorCode.DECODE_FAILED,
            undecodableRequestReason(connection, typeId, e));
      }
    }
    return connection.mailbox.offerRequest(requestId, message, frameBytes);
  }

  private void onResponse(ByteBuffer body) throws ProtocolException {
    WireStrings.need(body, 9, "RESPONSE id and status");
    long requestId = body.getLong();
    int status = body.get() & 0xFF;
    if (status > 1) {
      throw new ProtocolException(
          GoAwayCode.PROTOCOL_ERROR, "RESPONSE with unknown status " + status);
    }
    // the rest of the header is read before the request is taken from the table: a malformed one
    // fails the connection, and with it every request the table holds, this one included
    int errorCode = 0;
    int typeId = 0;
    if (status == 1) {
      WireStrings.need(body, 2, "RESPONSE error code");
      errorCode = body.getShort() & 0xFFFF;
    } else {
      typeId = Varint.read(body);
    }
    connection.countReceived();
    Requests.Pending pending = connection.requests.take(requestId);
    if (pending == null) {
      log.debug("ignoring a RESPONSE to unknown request #{} (timed out?)", requestId);
      return;
    }
    if (status == 1) {
      pending.future.completeExceptionally(
          new RequestFailedException(errorCode, WireStrings.lenientUtf8(body)));
      return;
    }
    MessageTypes.Entry entry = connection.types.entryFor(typeId);
    if (entry == null) {
      pending.future.completeExceptionally(
          new CodecException(
              "cannot read the response to "
                  + pending.describe()
                  + " from "
                  + connection.peerName
                  + ": type id "
                  + typeId
                  + " is not registered"));
      return;
    }
    if (body.remaining() > INLINE_DECODE_BYTES) {
      byte[] payload = copy(body);
      long reserved = takeAdmitted();
      Runnable decode =
          () -> {
            try {
              complete(pending, entry, ByteBuffer.wrap(payload));
            } catch (Throwable t) {
              connection.loop.execute(() -> connection.onFailure(t));
            } finally {
              connection.receiveMemory.release(reserved);
            }
          };
      Execution.onOrHere(connection.decodeExecutor(), decode);
    } else {
      complete(pending, entry, body);
    }
  }

  /**
   * Completes a request with its decoded response. A payload the codec cannot read fails the
   * request alone, with a {@link CodecException} that says it was the peer's answer to it; the
   * connection stays up (PROTOCOL.md decision (ii)). A codec that fails with anything but a {@link
   * CodecException} (an {@link Error}: a bug, a class missing at run time) fails the request with
   * it, and then the connection, as it would on the loop: the request is no longer in the table
   * that a closing connection fails.
   */
  private void complete(Requests.Pending pending, MessageTypes.Entry entry, ByteBuffer payload) {
    Object value;
    try {
      value = connection.decode(entry, payload);
    } catch (CodecException e) {
      pending.future.completeExceptionally(
          new CodecException(
              "cannot decode the response to "
                  + pending.describe()
                  + " from "
                  + connection.peerName
                  + ", of type "
                  + entry.id()
                  + " ("
                  + entry.name()
                  + "), with codec "
                  + connection.codecName()
                  + ": "
                  + e.getMessage(),
              e));
      return;
    } catch (Throwable t) {
      pending.future.completeExceptionally(t);
      throw t;
    }
    pending.future.complete(value);
  }

  private boolean onPing(ByteBuffer body) throws ProtocolException {
    if (body.remaining() != 8) {
      throw new ProtocolException(
          GoAwayCode.PROTOCOL_ERROR, "PING body must be 8 bytes, was " + body.remaining());
    }
    return connection.io().sendPong(body.getLong());
  }

  private void onPong(ByteBuffer body) throws ProtocolException {
    if (body.remaining() != 8) {
      throw new ProtocolException(
          GoAwayCode.PROTOCOL_ERROR, "PONG body must be 8 bytes, was " + body.remaining());
    }
    connection.keepAlive.pong(body.getLong(), System.nanoTime());
  }

  private static byte[] copy(ByteBuffer body) {
    byte[] bytes = new byte[body.remaining()];
    body.get(bytes);
    return bytes;
  }
}
