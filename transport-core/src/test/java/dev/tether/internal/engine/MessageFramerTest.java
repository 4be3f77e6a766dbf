package dev.tether.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.Connection;
import dev.tether.MessageTypes;
import dev.tether.Server;
import dev.tether.Tether;
import dev.tether.TetherConfig;
import dev.tether.codec.Codec;
import dev.tether.codec.EncodeBuffer;
import dev.tether.internal.wire.FrameType;
import dev.tether.internal.wire.ProtocolException;
import dev.tether.internal.wire.Varint;
import dev.tether.testing.Allocations;
import dev.tether.testing.Blob;
import dev.tether.testing.TestTypes;
import java.lang.ref.WeakReference;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The framer remembers the registry entry of the last message it framed in a run; whatever a thread
 * sends next — another type, the same type under another registry, a class no registry holds — must
 * be framed with its own registry's type id, or refused, as if nothing were remembered.
 */
class MessageFramerTest {
  /** Writes {@code toString()}'s UTF-8 bytes: enough to see which message a frame carries. */
  private static final Codec TEXT = textCodec("text", text -> text);

  private static final Encoding ENCODING = new Encoding(TEXT, 1 << 20);

  /** Writes the text backwards: a frame made with it differs from one made with {@link #TEXT}. */
  private static final Codec BACKWARDS =
      textCodec("backwards", text -> new StringBuilder(text).reverse().toString());

  private static Codec textCodec(String name, UnaryOperator<String> writes) {
    return new Codec() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public void encode(Object message, EncodeBuffer out) {
        byte[] bytes = writes.apply(message.toString()).getBytes(StandardCharsets.UTF_8);
        out.write(bytes, 0, bytes.length);
      }

      @Override
      public <T> T decode(Class<T> type, ByteBuffer payload) {
        throw new UnsupportedOperationException();
      }
    };
  }

  private static final MessageTypes FIRST =
      MessageTypes.builder("test").register(1, String.class).register(2, Long.class).build();

  /** The same classes under other ids, and one class the first registry lacks. */
  private static final MessageTypes SECOND =
      MessageTypes.builder("test")
          .register(7, String.class)
          .register(300, Long.class)
          .register(9, Double.class)
          .build();

  private record Framed(int type, int typeId, String payload) {}

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void everyFrameCarriesItsOwnRegistrysIdWhateverWasFramedBefore(boolean inOneRun) {
    Framing framing = new Framing(inOneRun);
    framing.add(FIRST, "a");
    framing.add(FIRST, "b");
    framing.add(FIRST, 3L);
    framing.add(FIRST, "c");
    framing.add(SECOND, "d");
    framing.add(SECOND, 4L);
    framing.add(FIRST, 5L);
    framing.add(SECOND, 6.5);
    framing.add(FIRST, "e");

    assertThat(framing.frames())
        .containsExactly(
            new Framed(FrameType.DATA, 1, "a"),
            new Framed(FrameType.DATA, 1, "b"),
            new Framed(FrameType.DATA, 2, "3"),
            new Framed(FrameType.DATA, 1, "c"),
            new Framed(FrameType.DATA, 7, "d"),
            new Framed(FrameType.DATA, 300, "4"),
            new Framed(FrameType.DATA, 2, "5"),
            new Framed(FrameType.DATA, 9, "6.5"),
            new Framed(FrameType.DATA, 1, "e"));
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aClassTheRegistryLacksIsRefusedRightAfterOneItHolds(boolean inOneRun) {
    Framing framing = new Framing(inOneRun);
    framing.add(SECOND, 1.5); // remembered: Double under SECOND
    assertThatThrownBy(() -> framing.add(FIRST, 2.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("java.lang.Double is not registered");
    framing.add(FIRST, "x"); // remembered: String under FIRST
    assertThatThrownBy(() -> framing.add(FIRST, 2.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("java.lang.Double is not registered");
    framing.add(FIRST, "y");
    assertThat(framing.frames())
        .containsExactly(
            new Framed(FrameType.DATA, 9, "1.5"),
            new Framed(FrameType.DATA, 1, "x"),
            new Framed(FrameType.DATA, 1, "y"));
  }

  /** Frames one at a time ({@link MessageFramer#frame}) or as one run ({@link #batch}). */
  private static final class Framing {
    private final boolean inOneRun;
    private final List<Framed> single = new ArrayList<>();
    private final MessageFramer run = MessageFramer.batch();

    Framing(boolean inOneRun) {
      this.inOneRun = inOneRun;
      run.clear();
    }

    void add(MessageTypes types, Object message) {
      if (inOneRun) {
        run.append(FrameType.DATA, 0, message, types, ENCODING, "peer");
      } else {
        single.add(frame(types, message));
      }
    }

    List<Framed> frames() {
      if (!inOneRun) {
        return single;
      }
      return framesOf(run);
    }
  }

  /** Reads the frames of a run, and clears it. */
  private static List<Framed> framesOf(MessageFramer run) {
    ByteBuffer bytes = ByteBuffer.wrap(run.array(), 0, run.length());
    List<Framed> frames = new ArrayList<>();
    while (bytes.hasRemaining()) {
      frames.add(read(bytes));
    }
    run.clear();
    return frames;
  }

  @Test
  void aRunOfFramesMixesTypesEachWithItsId() {
    MessageFramer run = MessageFramer.batch();
    run.clear();
    run.append(FrameType.DATA, 0, "p", FIRST, ENCODING, "peer");
    run.append(FrameType.DATA, 0, 8L, FIRST, ENCODING, "peer");
    run.append(FrameType.DATA, 0, "q", FIRST, ENCODING, "peer");
    List<Framed> frames = framesOf(run);
    assertThat(frames)
        .containsExactly(
            new Framed(FrameType.DATA, 1, "p"),
            new Framed(FrameType.DATA, 2, "8"),
            new Framed(FrameType.DATA, 1, "q"));
  }

  /**
   * A run made with an encoding the session has left (a reconnecting client's new server chose
   * another codec) is made again, message by message, with the new one.
   */
  @Test
  void aRunIsMadeAgainWithAnotherEncoding() {
    MessageFramer run = MessageFramer.batch();
    run.clear();
    run.append(FrameType.DATA, 0, "ab", FIRST, ENCODING, "peer");
    run.append(FrameType.DATA, 0, 12L, FIRST, ENCODING, "peer");
    run.reframe(FIRST, new Encoding(BACKWARDS, 1 << 20), "peer");
    assertThat(run.frames()).isEqualTo(2);
    List<Framed> frames = framesOf(run);
    assertThat(frames)
        .containsExactly(new Framed(FrameType.DATA, 1, "ba"), new Framed(FrameType.DATA, 2, "21"));
  }

  /**
   * A run keeps its messages (for {@link MessageFramer#reframe}) in an array its thread keeps; that
   * array is a new one every {@link YoungArrays#RENEW_STORES} messages, since storing into an old
   * one takes G1 a fence each.
   */
  @Test
  void theArrayARunKeepsItsMessagesInIsRenewedEveryRenewStoresMessages() throws Exception {
    assumeTrue(Allocations.measurable());
    Codec allocatesNothing =
        new Codec() {
          @Override
          public String name() {
            return "one-byte";
          }

          @Override
          public void encode(Object message, EncodeBuffer out) {
            out.write('x');
          }

          @Override
          public <T> T decode(Class<T> type, ByteBuffer payload) {
            throw new UnsupportedOperationException();
          }
        };
    Encoding oneByte = new Encoding(allocatesNothing, 1 << 20);
    int runs = 4 * YoungArrays.RENEW_STORES / 256;
    // on a new thread, whose framers no other test has grown
    long allocated =
        CompletableFuture.supplyAsync(
                () -> {
                  MessageFramer run = MessageFramer.batch();
                  framedRun(run, 4096, oneByte); // one long run: the array grows to its size
                  for (int i = 0; i < 2 * YoungArrays.RENEW_STORES / 256; i++) {
                    framedRun(run, 256, oneByte); // and is renewed at the size of these
                  }
                  long before = Allocations.current();
                  for (int i = 0; i < runs; i++) {
                    framedRun(run, 256, oneByte);
                  }
                  return Allocations.since(before);
                },
                task -> new Thread(task, "framing").start())
            .get(30, TimeUnit.SECONDS);
    long renewals = (long) runs * 256 / YoungArrays.RENEW_STORES;
    assertThat(allocated)
        .as("bytes allocated framing %d runs of 256", runs)
        .isGreaterThanOrEqualTo(renewals * (16 + 4L * 256)) // the new arrays, at least
        .isLessThanOrEqualTo((renewals + 1) * (16 + 8L * 256)); // of the recent runs' size
  }

  private static void framedRun(MessageFramer run, int messages, Encoding encoding) {
    run.clear();
    for (int i = 0; i < messages; i++) {
      run.append(FrameType.DATA, 0, "m", FIRST, encoding, "peer");
    }
    run.clear();
  }

  /** A message the new encoding's limit refuses stops the run there; those before it stay made. */
  @Test
  void aRunMadeAgainKeepsWhatFitsBeforeAMessageTheNewLimitRefuses() {
    MessageFramer run = MessageFramer.batch();
    run.clear();
    run.append(FrameType.DATA, 0, "a", FIRST, ENCODING, "peer");
    run.append(FrameType.DATA, 0, "bbbbbbbbbbbbbbbbbbbb", FIRST, ENCODING, "peer");
    run.append(FrameType.DATA, 0, "c", FIRST, ENCODING, "peer");
    assertThatThrownBy(() -> run.reframe(FIRST, new Encoding(BACKWARDS, 10), "peer"))
        .isInstanceOf(dev.tether.MessageTooLargeException.class);
    assertThat(run.frames()).isEqualTo(1);
    Framed only = read(ByteBuffer.wrap(run.array(), 0, run.length()));
    run.clear();
    assertThat(only).isEqualTo(new Framed(FrameType.DATA, 1, "a"));
  }

  /**
   * A thread that sent a large message keeps no encode buffer of its size: sent once by each of a
   * server's handler threads, they would add up to more than the messages in flight.
   */
  @Test
  void aThreadThatSentALargeMessageKeepsNoBufferOfItsSize() throws Exception {
    TetherConfig config = TetherConfig.builder().codecs("test").build();
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .config(config)
                .onMessage((c, m) -> {})
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES).config(config).connect(server.address())) {
      client.send(new Blob(1, new byte[3 << 20]));
      assertThat(MessageFramer.get().array().length).isLessThanOrEqualTo(1 << 20);
      client.sendAsync(new Blob(2, new byte[3 << 20])).toCompletableFuture().get();
      assertThat(MessageFramer.get().array().length).isLessThanOrEqualTo(1 << 20);
      client.trySend(new Blob(3, new byte[3 << 20]));
      assertThat(MessageFramer.get().array().length).isLessThanOrEqualTo(1 << 20);
    }
  }

  /** The framers keep no message once its frame or run is done with. */
  @Test
  void aFramerKeepsNoMessageAfterItsFrameOrRun() {
    WeakReference<Object> single = new WeakReference<>(framedMessage(false));
    WeakReference<Object> batch = new WeakReference<>(framedMessage(true));
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> {
              System.gc();
              return single.get() == null && batch.get() == null;
            });
  }

  private static Object framedMessage(boolean batch) {
    String message = new String("kept?".toCharArray());
    if (batch) {
      MessageFramer run = MessageFramer.batch();
      run.clear();
      run.append(FrameType.DATA, 0, message, FIRST, ENCODING, "peer");
      run.clear();
    } else {
      MessageFramer.get().frame(FrameType.DATA, 0, message, FIRST, ENCODING, "peer");
    }
    return message;
  }

  /**
   * Once a frame or a run is done with, the thread's framers hold no registry: an application
   * redeployed under a shared Tether must not stay loaded through the threads that sent for it.
   */
  @Test
  void aFramerKeepsNoRegistryAfterItsFrameOrRun() {
    WeakReference<MessageTypes> single = frameWithThrowawayRegistry(false);
    WeakReference<MessageTypes> batch = frameWithThrowawayRegistry(true);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> {
              System.gc();
              return single.get() == null && batch.get() == null;
            });
  }

  private static WeakReference<MessageTypes> frameWithThrowawayRegistry(boolean batch) {
    MessageTypes types = MessageTypes.builder("throwaway").register(1, String.class).build();
    if (batch) {
      MessageFramer run = MessageFramer.batch();
      run.clear();
      run.append(FrameType.DATA, 0, "r", types, ENCODING, "peer");
      run.append(FrameType.DATA, 0, "s", types, ENCODING, "peer");
      run.clear();
    } else {
      assertThat(frame(types, "t")).isEqualTo(new Framed(FrameType.DATA, 1, "t"));
    }
    return new WeakReference<>(types);
  }

  private static Framed frame(MessageTypes types, Object message) {
    MessageFramer framer =
        MessageFramer.get().frame(FrameType.DATA, 0, message, types, ENCODING, "peer");
    ByteBuffer bytes = ByteBuffer.wrap(framer.array(), 0, framer.length());
    Framed framed = read(bytes);
    assertThat(bytes.hasRemaining()).as("one frame").isFalse();
    return framed;
  }

  /** Reads one DATA frame: length, type, varint type id, payload. */
  private static Framed read(ByteBuffer bytes) {
    int length = bytes.getInt();
    int end = bytes.position() + length;
    int type = bytes.get();
    int typeId;
    try {
      typeId = Varint.read(bytes);
    } catch (ProtocolException e) {
      throw new AssertionError(e);
    }
    byte[] payload = new byte[end - bytes.position()];
    bytes.get(payload);
    return new Framed(type, typeId, new String(payload, StandardCharsets.UTF_8));
  }
}
