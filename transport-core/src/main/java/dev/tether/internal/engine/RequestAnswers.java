package dev.tether.internal.engine;

import dev.tether.RequestErrorCode;
import dev.tether.codec.CodecException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers the requests a {@link Mailbox} delivers: runs the request handler and writes its
 * RESPONSE, or an error naming why there is none (PROTOCOL.md §7): the payload could not be
 * decoded, there is no handler, it threw, or its stage failed or gave null. A request counts
 * against the inbound bound ({@link InboundQueue#startWork}) and in the {@link RequestGate} from
 * the moment its handler is called until its answer is written, however late that is.
 *
 * <p>Called on the mailbox's dispatch thread; an answer may come from whatever thread completes the
 * handler's stage.
 */
final class RequestAnswers {
  private static final Logger log = LoggerFactory.getLogger(RequestAnswers.class);

  private final Mailbox mailbox;
  private final RealConnection<?, ?> connection;
  private final Handlers<Object, Object> handlers;
  private final InboundQueue queue;
  private final RequestGate gate;

  RequestAnswers(
      Mailbox mailbox,
      RealConnection<?, ?> connection,
      Handlers<Object, Object> handlers,
      InboundQueue queue,
      RequestGate gate) {
    this.mailbox = mailbox;
    this.connection = connection;
    this.handlers = handlers;
    this.queue = queue;
    this.gate = gate;
  }

  /** Runs the request's handler, or answers with the error that says why it cannot run. */
  void onRequest(Mailbox.InboundRequest request) {
    if (!gate.tryEnter()) {
      log.debug(
          "{}: request #{} arrived after this side's GOAWAY; not processed",
          connection,
          request.id());
      return;
    }
    queue.startWork();
    Object message;
    try {
      message = mailbox.decoded(request.message());
    } catch (CodecException e) {
      answerError(
          request.id(),
          RequestErrorCode.DECODE_FAILED,
          request.message() instanceof Mailbox.Undecoded raw
              ? FrameRouter.undecodableRequestReason(connection, raw.typeId(), e)
              : e.getMessage());
      return;
    } catch (Throwable t) {
      finishRequest();
      mailbox.decoderBroke(t);
      return;
    }
    if (handlers.onRequest == null) {
      answerError(request.id(), RequestErrorCode.NO_HANDLER, "no request handler");
      return;
    }
    CompletionStage<?> stage;
    try {
      stage = handlers.onRequest.onRequest(connection.self(), message);
    } catch (Handlers.NoHandlerException e) {
      answerError(request.id(), RequestErrorCode.NO_HANDLER, e.getMessage());
      return;
    } catch (Throwable t) {
      answerError(request.id(), RequestErrorCode.HANDLER_FAILED, Mailbox.describe(t));
      logRequestFailure(request.id(), t);
      return;
    }
    if (stage == null) {
      answerError(request.id(), RequestErrorCode.HANDLER_FAILED, "request handler returned null");
      return;
    }
    long id = request.id();
    // a synchronous handler's answer, or a cached one: answered now, as whenComplete would, but
    // without a callback and the future whenComplete returns, per request. Only a plain
    // CompletableFuture (subclasses may refuse isDone: minimalCompletionStage's does), and only a
    // success: a failure keeps the path that hands over its own exception (join would wrap it, or,
    // on newer JDKs, replace a cancellation with a new one)
    if (stage.getClass() == CompletableFuture.class
        && stage instanceof CompletableFuture<?> future
        && future.isDone()
        && !future.isCompletedExceptionally()) {
      settle(id, future.getNow(null), null);
      return;
    }
    Answer answer = new Answer(id);
    try {
      stage.whenComplete(answer);
    } catch (Throwable t) { // a stage of the application's own making may refuse the callback
      logRequestFailure(id, t);
      answer.accept(null, t);
    }
  }

  /**
   * Answers a request once its handler's stage completes; at most once, since a stage whose {@code
   * whenComplete} throws may or may not have registered it.
   */
  private final class Answer extends AtomicBoolean implements BiConsumer<Object, Throwable> {
    private final long id;

    Answer(long id) {
      this.id = id;
    }

    @Override
    public void accept(Object response, Throwable failure) {
      if (compareAndSet(false, true)) {
        settle(id, response, failure);
      }
    }
  }

  /** Answers request {@code id} with its handler's outcome. */
  private void settle(long id, Object response, Throwable failure) {
    if (failure != null) {
      Throwable cause =
          failure instanceof CompletionException && failure.getCause() != null
              ? failure.getCause()
              : failure;
      answerError(id, RequestErrorCode.HANDLER_FAILED, Mailbox.describe(cause));
    } else if (response == null) {
      answerError(id, RequestErrorCode.HANDLER_FAILED, "request handler returned null");
    } else {
      answer(id, response);
    }
  }

  private void answer(long id, Object response) {
    // an interrupt the handler left on its thread (it restored the flag after catching one) is not
    // a reason to drop the answer it owes: the answer waits for room as any would, and the
    // interrupt is put back afterwards
    boolean interrupted = Thread.interrupted();
    try {
      connection.sender.respond(id, response);
    } catch (Throwable t) {
      answerError(
          id,
          RequestErrorCode.HANDLER_FAILED,
          "response could not be sent: " + Mailbox.describe(t));
      return;
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    finishRequest();
  }

  private void answerError(long id, RequestErrorCode code, String text) {
    boolean interrupted = Thread.interrupted(); // the handler's: see answer
    try {
      connection.sender.respondError(id, code, text);
    } catch (Throwable t) {
      log.warn("{}: could not answer request #{}: {}", connection, id, Throwables.text(t));
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    finishRequest();
  }

  private void finishRequest() {
    queue.finishWork();
    if (gate.exit() && connection.closer.closeStarted()) {
      connection.loop.execute(connection.closer::onRequestsIdle);
    }
  }

  private void logRequestFailure(long id, Throwable t) {
    if (t instanceof Error) {
      log.error(
          "request handler of {} threw on request #{}; answered HANDLER_FAILED",
          connection,
          id,
          Throwables.loggable(t));
    } else {
      log.debug(
          "request handler of {} failed on request #{}", connection, id, Throwables.loggable(t));
    }
  }
}
