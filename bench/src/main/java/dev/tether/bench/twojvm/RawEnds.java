package dev.tether.bench.twojvm;

import dev.tether.bench.twojvm.ClientEnd.Flow;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The limit: blocking socket channels, a thread per connection on each end, pre-encoded frames of a
 * 4-byte length and 64 bytes whose first 8 are the sequence number. The server reads what is there,
 * checks every frame, and writes back the whole run of complete frames in one write (echo) or only
 * counts them; the streaming client writes {@value #STREAM_BATCH} frames per system call. No codec,
 * no selector, no hand-off between threads.
 */
final class RawEnds {
  /** Frames per write while streaming, as in the one-JVM raw throughput benchmark. */
  static final int STREAM_BATCH = 1000;

  private static final int READ_BYTES = 64 * 1024;

  private RawEnds() {}

  static ServerEnd server(boolean echo) throws IOException {
    Tally tally = new Tally();
    ServerSocketChannel listener =
        ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
    Thread acceptor =
        new Thread(
            () -> {
              try {
                for (int i = 0; ; i++) {
                  SocketChannel channel = listener.accept();
                  channel.socket().setTcpNoDelay(true);
                  SequenceCheck check = tally.open();
                  Thread t = new Thread(() -> serve(channel, check, echo), "raw-server-" + i);
                  t.setDaemon(true);
                  t.start();
                }
              } catch (IOException e) {
                // closed
              }
            },
            "raw-acceptor");
    acceptor.setDaemon(true);
    acceptor.start();
    return new ServerEnd() {
      @Override
      public InetSocketAddress address() {
        try {
          return (InetSocketAddress) listener.getLocalAddress();
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      }

      @Override
      public Tally tally() {
        return tally;
      }

      @Override
      public void close() {
        try {
          listener.close();
        } catch (IOException e) {
          // nothing to do
        }
      }
    };
  }

  private static void serve(SocketChannel channel, SequenceCheck check, boolean echo) {
    ByteBuffer buffer = ByteBuffer.allocateDirect(READ_BYTES);
    try (channel) {
      while (channel.read(buffer) >= 0) {
        buffer.flip();
        int start = buffer.position();
        int at = start;
        while (buffer.limit() - at >= Sequenced.RAW_FRAME_BYTES) {
          Sequenced.checkRawLength(buffer, at);
          check.accept(Sequenced.rawSeq(buffer, at));
          at += Sequenced.RAW_FRAME_BYTES;
        }
        if (echo && at > start) {
          ByteBuffer out = buffer.duplicate().position(start).limit(at);
          while (out.hasRemaining()) {
            channel.write(out);
          }
        }
        buffer.position(at);
        buffer.compact();
      }
    } catch (IOException e) {
      // the client went away
    }
  }

  static ClientEnd client(InetSocketAddress address, int connections) throws IOException {
    return new Client(address, connections);
  }

  private static final class Client implements ClientEnd {
    private final List<SocketChannel> channels = new ArrayList<>();
    private final ByteBuffer out = ByteBuffer.allocateDirect(Sequenced.RAW_FRAME_BYTES);
    private final ByteBuffer in = ByteBuffer.allocateDirect(Sequenced.RAW_FRAME_BYTES);

    Client(InetSocketAddress address, int connections) throws IOException {
      for (int i = 0; i < connections; i++) {
        SocketChannel channel = SocketChannel.open(address);
        channel.socket().setTcpNoDelay(true);
        channels.add(channel);
      }
      Sequenced.formatRawFrames(out);
    }

    @Override
    public void roundTrip(long seq) throws IOException {
      SocketChannel channel = channels.get(0);
      out.clear();
      Sequenced.putRawSeq(out, 0, seq);
      while (out.hasRemaining()) {
        channel.write(out);
      }
      in.clear();
      while (in.hasRemaining()) {
        if (channel.read(in) < 0) {
          throw new IOException("raw echo server closed");
        }
      }
      Sequenced.checkRawLength(in, 0);
      long got = Sequenced.rawSeq(in, 0);
      if (got != seq) {
        throw new IllegalStateException("sent message " + seq + " but got " + got + " back");
      }
    }

    @Override
    public Flow startEcho(int window) {
      Tally echoes = new Tally();
      Workers workers = new Workers("raw-client");
      for (SocketChannel channel : channels) {
        SequenceCheck check = echoes.open();
        workers.start(counter -> echo(channel, window, check, counter, workers));
      }
      return workers.flow(echoes, true);
    }

    /** Keeps {@code window} frames in flight: every run of echoes read is answered with as many. */
    private static void echo(
        SocketChannel channel, int window, SequenceCheck check, AtomicLong sent, Workers workers)
        throws IOException {
      ByteBuffer frames = ByteBuffer.allocateDirect(window * Sequenced.RAW_FRAME_BYTES);
      Sequenced.formatRawFrames(frames);
      ByteBuffer buffer = ByteBuffer.allocateDirect(READ_BYTES);
      long next = send(channel, frames, window, 0);
      sent.lazySet(next);
      long received = 0;
      while (workers.running || received < next) {
        if (channel.read(buffer) < 0) {
          throw new IOException("raw echo server closed");
        }
        buffer.flip();
        int at = buffer.position();
        int n = 0;
        while (buffer.limit() - at >= Sequenced.RAW_FRAME_BYTES) {
          Sequenced.checkRawLength(buffer, at);
          check.accept(Sequenced.rawSeq(buffer, at));
          at += Sequenced.RAW_FRAME_BYTES;
          n++;
        }
        buffer.position(at);
        buffer.compact();
        received += n;
        if (workers.running && n > 0) {
          next = send(channel, frames, n, next);
          sent.lazySet(next);
        }
      }
    }

    private static long send(SocketChannel channel, ByteBuffer frames, int n, long first)
        throws IOException {
      frames.clear();
      for (int i = 0; i < n; i++) {
        Sequenced.putRawSeq(frames, i * Sequenced.RAW_FRAME_BYTES, first + i);
      }
      frames.limit(n * Sequenced.RAW_FRAME_BYTES);
      while (frames.hasRemaining()) {
        channel.write(frames);
      }
      return first + n;
    }

    @Override
    public Flow startOneWay() {
      Workers workers = new Workers("raw-client");
      for (SocketChannel channel : channels) {
        workers.start(
            counter -> {
              ByteBuffer frames =
                  ByteBuffer.allocateDirect(STREAM_BATCH * Sequenced.RAW_FRAME_BYTES);
              Sequenced.formatRawFrames(frames);
              long next = 0;
              while (workers.running) {
                next = send(channel, frames, STREAM_BATCH, next);
                counter.lazySet(next);
              }
            });
      }
      return workers.flow(new Tally(), false);
    }

    @Override
    public void close() throws IOException {
      for (SocketChannel channel : channels) {
        channel.close();
      }
    }
  }

  /** A thread per connection, each counting what it sent; raw's and the plain client's. */
  static final class Workers {
    interface Body {
      void run(AtomicLong sent) throws IOException;
    }

    volatile boolean running = true;
    private final String name;
    private final List<Thread> threads = new ArrayList<>();
    private final List<AtomicLong> sent = new ArrayList<>();
    private volatile Throwable failure;

    /**
     * @param name the threads' name, before their number; and the client's, in a failure
     */
    Workers(String name) {
      this.name = name;
    }

    void start(Body body) {
      AtomicLong counter = new AtomicLong();
      sent.add(counter);
      Thread t =
          new Thread(
              () -> {
                try {
                  body.run(counter);
                } catch (IOException | RuntimeException e) {
                  failure = e;
                }
              },
              name + "-" + threads.size());
      threads.add(t);
      t.start();
    }

    long sent() {
      long sum = 0;
      for (AtomicLong s : sent) {
        sum += s.get();
      }
      return sum;
    }

    Flow flow(Tally echoes, boolean echo) {
      return new Flow() {
        @Override
        public long progress() {
          return echo ? echoes.received() : Workers.this.sent();
        }

        @Override
        public void stop() throws InterruptedException {
          running = false;
          for (Thread t : threads) {
            t.join(30_000);
            if (t.isAlive()) {
              throw new IllegalStateException(t.getName() + " did not finish within 30 s");
            }
          }
          if (failure != null) {
            throw new IllegalStateException(name + " failed: " + failure, failure);
          }
        }

        @Override
        public long sent() {
          return Workers.this.sent();
        }

        @Override
        public Tally echoes() {
          return echoes;
        }
      };
    }
  }
}
