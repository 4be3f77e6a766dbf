package dev.tether.bench.twojvm;

import dev.tether.Connection;
import dev.tether.Server;
import dev.tether.Tether;
import dev.tether.TetherConfig;
import dev.tether.bench.support.Payloads;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;

/**
 * Tether's two ends, written as a user would with the public API only. The server echoes DATA with
 * {@code send} from its message handler and answers requests with the request itself. The load
 * generator's round trip is {@code send} then {@code receive}; its pipelined echo sends the next
 * message from the message handler; its one-way stream is a thread per connection calling {@code
 * sendAll} with {@value NettyEnds#STREAM_BATCH} messages at a time (as the Netty contender writes
 * that many per flush), which waits while the outbound queue is full.
 */
final class TetherEnds {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private TetherEnds() {}

  /** The contender's configuration: the defaults, handlers on the event loop or on the pool. */
  static TetherConfig config(Contender contender, String codec) {
    TetherConfig.Builder config = TetherConfig.builder().codecs(codec);
    if (contender == Contender.TETHER_LOOP) {
      config.handlersOnEventLoop();
    } else if (contender == Contender.TETHER_POOL) {
      config.handlersOnPool();
    }
    return config.build();
  }

  static ServerEnd server(Contender contender, String codec, boolean echo) {
    Tally tally = new Tally();
    Server<Object, Object> server =
        Tether.server(Payloads.types(codec))
            .config(config(contender, codec))
            // each connection's check in its attachment, as Netty's handler keeps it in a field
            .onConnection(connection -> connection.attach(tally.open()))
            .onMessage(
                (connection, message) -> {
                  ((SequenceCheck) connection.attachment()).accept(Sequenced.seq(message));
                  if (echo) {
                    connection.send(message);
                  }
                })
            .onRequest(
                (connection, message) -> {
                  ((SequenceCheck) connection.attachment()).accept(Sequenced.seq(message));
                  return message;
                })
            .bind(new InetSocketAddress("127.0.0.1", 0));
    return new ServerEnd() {
      @Override
      public InetSocketAddress address() {
        return (InetSocketAddress) server.address();
      }

      @Override
      public Tally tally() {
        return tally;
      }

      @Override
      public void close() {
        server.close(Duration.ofSeconds(5));
      }
    };
  }

  static ClientEnd client(
      Contender contender, String codec, InetSocketAddress address, int connections) {
    return new Client(config(contender, codec), codec, address, connections);
  }

  /** Connects when a workload starts, because the workload decides whether there is a handler. */
  private static final class Client implements ClientEnd {
    private final TetherConfig config;
    private final String codec;
    private final LongFunction<Object> messages;
    private final InetSocketAddress address;
    private final int count;
    private final List<Connection<Object, Object>> connections = new ArrayList<>();

    Client(TetherConfig config, String codec, InetSocketAddress address, int count) {
      this.config = config;
      this.codec = codec;
      this.messages = Sequenced.messages(codec);
      this.address = address;
      this.count = count;
    }

    private Connection<Object, Object> plain() {
      if (connections.isEmpty()) {
        connections.add(Tether.client(Payloads.types(codec)).config(config).connect(address));
      }
      return connections.get(0);
    }

    @Override
    public void roundTrip(long seq) throws InterruptedException {
      Connection<Object, Object> connection = plain();
      connection.send(messages.apply(seq));
      Object echo = connection.receive(WAIT);
      expect(seq, echo);
    }

    @Override
    public void request(long seq) throws Exception {
      Object response = plain().request(messages.apply(seq)).get(10, TimeUnit.SECONDS);
      expect(seq, response);
    }

    @Override
    public Flow startEcho(int window) {
      Tally echoes = new Tally();
      List<Echoer> echoers = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        Echoer echoer = new Echoer(echoes.open());
        echoer.connection =
            Tether.client(Payloads.types(codec))
                .config(config)
                .onMessage((c, m) -> echoer.onEcho(m))
                .connect(address);
        connections.add(echoer.connection);
        echoers.add(echoer);
      }
      for (Echoer echoer : echoers) {
        for (int i = 0; i < window; i++) {
          echoer.sendNext();
        }
      }
      return new Flow() {
        @Override
        public long progress() {
          return echoes.received();
        }

        @Override
        public void stop() {
          for (Echoer e : echoers) {
            e.running = false;
          }
          Waits.until(() -> echoes.received() >= sent(), "Tether echoes of every message sent");
        }

        @Override
        public long sent() {
          long sum = 0;
          for (Echoer e : echoers) {
            sum += e.sent();
          }
          return sum;
        }

        @Override
        public Tally echoes() {
          return echoes;
        }
      };
    }

    /** One connection's window: each echo sends the next message. */
    private final class Echoer {
      private final SequenceCheck check;
      private Connection<Object, Object> connection;
      private volatile boolean running = true;
      private long next;

      Echoer(SequenceCheck check) {
        this.check = check;
      }

      void onEcho(Object message) {
        check.accept(Sequenced.seq(message));
        if (running) {
          sendNext();
        }
      }

      // the priming thread and the handler both send; the lock keeps numbers in wire order
      synchronized void sendNext() {
        connection.send(messages.apply(next));
        next++;
      }

      synchronized long sent() {
        return next;
      }
    }

    @Override
    public Flow startOneWay() {
      for (int i = 0; i < count; i++) {
        connections.add(Tether.client(Payloads.types(codec)).config(config).connect(address));
      }
      AtomicLong[] sent = new AtomicLong[count];
      Thread[] senders = new Thread[count];
      Flag running = new Flag();
      for (int i = 0; i < count; i++) {
        Connection<Object, Object> connection = connections.get(i);
        AtomicLong counter = sent[i] = new AtomicLong();
        senders[i] =
            new Thread(
                () -> {
                  long seq = 0;
                  while (running.up) {
                    // a new list each batch: one kept for the whole run is soon in the old
                    // generation, and G1 then takes a memory fence for every message stored into
                    // it, a cost of this load generator's (17% of its thread in a profile), not
                    // of the transport's
                    List<Object> batch = new ArrayList<>(NettyEnds.STREAM_BATCH);
                    for (int n = 0; n < NettyEnds.STREAM_BATCH; n++) {
                      batch.add(messages.apply(seq++));
                    }
                    connection.sendAll(batch);
                    counter.lazySet(seq);
                  }
                },
                "tether-sender-" + i);
        senders[i].start();
      }
      return new Flow() {
        @Override
        public long progress() {
          return sent();
        }

        @Override
        public void stop() throws InterruptedException {
          running.up = false;
          for (Thread t : senders) {
            t.join(30_000);
            if (t.isAlive()) {
              throw new IllegalStateException(t.getName() + " still sending after 30 s");
            }
          }
        }

        @Override
        public long sent() {
          long sum = 0;
          for (AtomicLong s : sent) {
            sum += s.get();
          }
          return sum;
        }

        @Override
        public Tally echoes() {
          return new Tally();
        }
      };
    }

    @Override
    public void close() {
      // graceful: every message accepted by send is written before the GOAWAY
      for (Connection<Object, Object> connection : connections) {
        connection.close();
      }
    }
  }

  static void expect(long seq, Object message) {
    if (message == null) {
      throw new IllegalStateException("no echo of message " + seq + " within 10 s");
    }
    long got = Sequenced.seq(message);
    if (got != seq) {
      throw new IllegalStateException("sent message " + seq + " but got " + got + " back");
    }
  }

  /** A stop flag shared by sender threads. */
  static final class Flag {
    volatile boolean up = true;
  }
}
