package dev.tether.bench.twojvm;

import dev.tether.bench.support.NettyTransport;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.SimpleChannelInboundHandler;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;

/**
 * Netty's two ends on {@link NettyTransport}'s pipeline (NIO, pooled buffers, flush consolidation,
 * the same codec as Tether), with handlers on the event loop as a Netty expert writes them: the
 * server writes each echo in {@code channelRead} and flushes once in {@code channelReadComplete};
 * the pipelined client writes the next message from {@code channelRead}; the streaming client
 * writes on its event loop while the channel is writable and resumes on {@code
 * channelWritabilityChanged}. The round-trip client is a caller thread that writes and waits on a
 * queue the handler fills, as Tether's {@code receive} does.
 */
final class NettyEnds {
  /** Messages written per event-loop task while streaming, before yielding to I/O. */
  static final int STREAM_BATCH = 256;

  private NettyEnds() {}

  static ServerEnd server(String codec, boolean echo) throws InterruptedException {
    Tally tally = new Tally();
    NettyTransport netty = new NettyTransport(codec);
    Channel channel =
        netty.bind(new InetSocketAddress("127.0.0.1", 0), () -> new ServerHandler(tally, echo));
    return new ServerEnd() {
      @Override
      public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
      }

      @Override
      public Tally tally() {
        return tally;
      }

      @Override
      public void close() {
        netty.close();
      }
    };
  }

  private static final class ServerHandler extends ChannelInboundHandlerAdapter {
    private final SequenceCheck check;
    private final boolean echo;

    ServerHandler(Tally tally, boolean echo) {
      this.check = tally.open();
      this.echo = echo;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      check.accept(Sequenced.seq(msg));
      if (echo) {
        ctx.write(msg, ctx.voidPromise());
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      if (echo) {
        ctx.flush();
      }
      ctx.fireChannelReadComplete();
    }
  }

  static ClientEnd client(String codec, InetSocketAddress address, int connections) {
    return new Client(codec, address, connections);
  }

  private static final class Client implements ClientEnd {
    private final NettyTransport netty;
    private final LongFunction<Object> messages;
    private final InetSocketAddress address;
    private final int count;
    private final List<Channel> channels = new ArrayList<>();
    private final BlockingQueue<Object> replies = new LinkedBlockingQueue<>();

    Client(String codec, InetSocketAddress address, int count) {
      this.netty = new NettyTransport(codec);
      this.messages = Sequenced.messages(codec);
      this.address = address;
      this.count = count;
    }

    @Override
    public void roundTrip(long seq) throws InterruptedException {
      if (channels.isEmpty()) {
        channels.add(
            netty.connect(
                address,
                new SimpleChannelInboundHandler<Object>() {
                  @Override
                  protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
                    replies.add(msg);
                  }
                }));
      }
      Channel channel = channels.get(0);
      channel.writeAndFlush(messages.apply(seq), channel.voidPromise());
      TetherEnds.expect(seq, replies.poll(10, TimeUnit.SECONDS));
    }

    @Override
    public Flow startEcho(int window) throws InterruptedException {
      Tally echoes = new Tally();
      List<Echoer> echoers = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        Echoer echoer = new Echoer(echoes.open(), window);
        channels.add(netty.connect(address, echoer));
        echoers.add(echoer);
      }
      for (int i = 0; i < count; i++) {
        Channel channel = channels.get(i);
        Echoer echoer = echoers.get(i);
        channel.eventLoop().execute(() -> echoer.prime(channel));
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
          Waits.until(() -> echoes.received() >= sent(), "Netty echoes of every message sent");
        }

        @Override
        public long sent() {
          long sum = 0;
          for (Echoer e : echoers) {
            sum += e.sent;
          }
          return sum;
        }

        @Override
        public Tally echoes() {
          return echoes;
        }
      };
    }

    /** One channel's window; every method runs on the channel's event loop. */
    private final class Echoer extends ChannelInboundHandlerAdapter {
      private final SequenceCheck check;
      private final int window;
      private volatile boolean running = true;
      private volatile long sent;

      Echoer(SequenceCheck check, int window) {
        this.check = check;
        this.window = window;
      }

      void prime(Channel channel) {
        for (int i = 0; i < window; i++) {
          channel.write(messages.apply(sent), channel.voidPromise());
          sent = sent + 1;
        }
        channel.flush();
      }

      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        check.accept(Sequenced.seq(msg));
        if (running) {
          ctx.write(messages.apply(sent), ctx.voidPromise());
          sent = sent + 1;
        }
      }

      @Override
      public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
        ctx.fireChannelReadComplete();
      }
    }

    @Override
    public Flow startOneWay() throws InterruptedException {
      List<Streamer> streamers = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        Streamer streamer = new Streamer();
        Channel channel = netty.connect(address, streamer);
        streamer.channel = channel;
        channels.add(channel);
        streamers.add(streamer);
      }
      for (Streamer s : streamers) {
        s.channel.eventLoop().execute(s::schedule);
      }
      return new Flow() {
        @Override
        public long progress() {
          return sent();
        }

        @Override
        public void stop() throws Exception {
          List<ChannelFuture> last = new ArrayList<>();
          for (Streamer s : streamers) {
            last.add(s.channel.eventLoop().submit(s::finish).get());
          }
          for (ChannelFuture f : last) {
            if (!f.await(30, TimeUnit.SECONDS) || !f.isSuccess()) {
              throw new IllegalStateException("Netty's last write did not complete: " + f.cause());
            }
          }
        }

        @Override
        public long sent() {
          long sum = 0;
          for (Streamer s : streamers) {
            sum += s.sent;
          }
          return sum;
        }

        @Override
        public Tally echoes() {
          return new Tally();
        }
      };
    }

    /** Writes on the event loop while the channel is writable; every method runs on the loop. */
    private final class Streamer extends ChannelInboundHandlerAdapter {
      private Channel channel;
      private boolean running = true;
      private boolean scheduled;
      private volatile long sent;

      /** Queues a batch behind the loop's pending I/O, unless one is queued already. */
      void schedule() {
        if (running && !scheduled && channel.isWritable()) {
          scheduled = true;
          channel.eventLoop().execute(this::pump);
        }
      }

      private void pump() {
        scheduled = false;
        int n = 0;
        long seq = sent;
        while (running && channel.isWritable() && n < STREAM_BATCH) {
          channel.write(messages.apply(seq++), channel.voidPromise());
          n++;
        }
        sent = seq;
        channel.flush();
        schedule(); // if still writable; otherwise channelWritabilityChanged resumes
      }

      /** Stops, and returns the future of a last message: when it is written, all are. */
      ChannelFuture finish() {
        running = false;
        ChannelFuture last = channel.writeAndFlush(messages.apply(sent));
        sent = sent + 1;
        return last;
      }

      @Override
      public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        schedule();
        ctx.fireChannelWritabilityChanged();
      }
    }

    @Override
    public void close() {
      for (Channel channel : channels) {
        channel.close().syncUninterruptibly();
      }
      netty.close();
    }
  }
}
