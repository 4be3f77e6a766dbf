package dev.tether.examples;

import dev.tether.MessageTypes;
import dev.tether.Tether;
import dev.tether.TetherConfig;
import java.time.Duration;
import java.util.List;

/**
 * The echo interop profile of PROTOCOL.md §10: its message registry and the server settings it
 * prescribes. Every Tether implementation can be tested against a server that follows it.
 */
public final class EchoProtocol {
  /** The application protocol name both peers announce. */
  public static final String APP_PROTOCOL = "tether-echo";

  /** The type id of {@link Echo}. */
  public static final int ECHO_TYPE_ID = 1;

  /** The explicit, language-neutral name of {@link Echo}; it enters the schema fingerprint. */
  public static final String ECHO_TYPE_NAME = "echo.Echo";

  /** A request whose text starts with this is answered with an error carrying the rest. */
  public static final String FAIL_PREFIX = "fail:";

  /** The registry both sides build: {@code tether-echo}, {@code 1=echo.Echo}. */
  public static final MessageTypes TYPES =
      MessageTypes.builder(APP_PROTOCOL).register(ECHO_TYPE_ID, ECHO_TYPE_NAME, Echo.class).build();

  /** The profile's server heartbeat: PING after one idle second. */
  public static final Duration SERVER_HEARTBEAT_INTERVAL = Duration.ofSeconds(1);

  /** The profile's server idle timeout: ten heartbeats' worth of silence. */
  public static final Duration SERVER_IDLE_TIMEOUT = Duration.ofSeconds(10);

  /** The profile's server frame limit, 16 MiB. */
  public static final int SERVER_MAX_FRAME_BYTES = 16 * 1024 * 1024;

  private EchoProtocol() {}

  /** Returns the codecs on the class path that can carry {@link Echo}, in alphabetical order. */
  public static List<String> availableCodecs() {
    return Tether.availableCodecs(TYPES);
  }

  /**
   * Returns the server configuration of the profile.
   *
   * @param codecs the codecs to accept; empty accepts every one of {@link #availableCodecs()}
   */
  public static TetherConfig serverConfig(List<String> codecs) {
    return TetherConfig.builder()
        .codecs(codecs.isEmpty() ? availableCodecs() : codecs)
        // the default: the echo handlers never block (they only send back what arrived), so the
        // event loop runs them itself, with no hand-off to another thread per message, and answers
        // a pipelined batch on a loop with one connection in slices. handlersOnEventLoop() does
        // the same and is no faster overall (two JVMs, json, bench/results/20261205T134046Z: round
        // trip 20.5 µs against its 21.1, pipelined echo 1.01M against its 1.20M on one connection
        // and 1.57M against 1.47M on four); and here a handler that blocked would be moved to the
        // handler pool instead of stalling the loop
        .heartbeatInterval(SERVER_HEARTBEAT_INTERVAL)
        .idleTimeout(SERVER_IDLE_TIMEOUT)
        .maxFrameBytes(SERVER_MAX_FRAME_BYTES)
        .build();
  }

  /**
   * Answers an echo request the way the profile says: the same message back.
   *
   * @throws Exception carrying the text after {@link #FAIL_PREFIX} if the text starts with it; the
   *     transport sends that to the requester as RESPONSE ERROR HANDLER_FAILED
   */
  public static Echo answer(Echo request) throws Exception {
    if (request.text().startsWith(FAIL_PREFIX)) {
      throw new Exception(request.text().substring(FAIL_PREFIX.length()));
    }
    return request;
  }
}
