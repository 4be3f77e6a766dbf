package dev.tether.bench.support;

import dev.tether.codec.Codec;
import dev.tether.codec.EncodeBuffer;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.MessageToByteEncoder;
import io.netty.handler.codec.MessageToMessageDecoder;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * The Netty baseline, set up the way a Netty expert would: NIO transport with as many loop threads
 * as Tether uses, pooled buffers, TCP_NODELAY, length-field framing (the prefix written by the
 * encoder into the frame's own buffer, decoded by LengthFieldBasedFrameDecoder), flush
 * consolidation, write-buffer water marks, and the same codec as the Tether run encoding straight
 * into the outbound {@link ByteBuf} and decoding from the frame without a copy.
 *
 * <p>One instance owns one event-loop group; it can bind servers, connect clients, or both (the
 * one-JVM benchmarks). The two-JVM benchmarks use one instance per process. Thread safe.
 */
public final class NettyTransport implements AutoCloseable {
  private static final int MAX_FRAME = 16 * 1024 * 1024;

  private final EventLoopGroup group =
      new MultiThreadIoEventLoopGroup(Loops.count(), NioIoHandler.newFactory());
  private final List<Channel> servers = new ArrayList<>();
  private final String codecName;
  private final Codec codec;
  private final Class<?> type;

  /**
   * Creates the event loops for {@code codecName}, binding nothing yet.
   *
   * @param codecName a Tether codec name, or {@code bytes} for plain arrays
   */
  public NettyTransport(String codecName) {
    this.codecName = codecName;
    this.codec = Codecs.create(codecName, Payloads.types(codecName));
    this.type = Payloads.type(codecName);
  }

  /**
   * Binds a loopback server on a free port whose pipeline decodes each frame and hands it to {@code
   * onMessage}; {@link #connect(BiConsumer)} connects to it.
   */
  public NettyTransport(String codecName, BiConsumer<Channel, Object> onMessage)
      throws InterruptedException {
    this(codecName);
    bind(new InetSocketAddress("127.0.0.1", 0), () -> handler(onMessage));
  }

  /**
   * Binds a server; every accepted channel gets a fresh handler from {@code handlers} at the end of
   * its pipeline, after framing and the codec, so the handler sees decoded messages and may write
   * messages.
   *
   * @return the server channel, whose {@code localAddress()} is the bound address
   */
  public Channel bind(SocketAddress address, Supplier<? extends ChannelHandler> handlers)
      throws InterruptedException {
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
            .childOption(
                ChannelOption.WRITE_BUFFER_WATER_MARK,
                new WriteBufferWaterMark(1024 * 1024, 4 * 1024 * 1024))
            .childHandler(pipeline(handlers));
    Channel server = bootstrap.bind(address).sync().channel();
    synchronized (servers) {
      servers.add(server);
    }
    return server;
  }

  /** Connects a client to the server this instance bound; {@code onMessage} gets replies. */
  public Channel connect(BiConsumer<Channel, Object> onMessage) throws InterruptedException {
    SocketAddress address;
    synchronized (servers) {
      address = servers.get(0).localAddress();
    }
    return connect(address, handler(onMessage));
  }

  /** Connects a client whose pipeline mirrors the server's, with {@code handler} at its end. */
  public Channel connect(SocketAddress address, ChannelHandler handler)
      throws InterruptedException {
    Bootstrap bootstrap =
        new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
            .option(
                ChannelOption.WRITE_BUFFER_WATER_MARK,
                new WriteBufferWaterMark(1024 * 1024, 4 * 1024 * 1024))
            .handler(pipeline(() -> handler));
    return bootstrap.connect(address).sync().channel();
  }

  /** The same pipeline on both ends: framing, codec, and the handler. */
  private ChannelInitializer<SocketChannel> pipeline(Supplier<? extends ChannelHandler> handler) {
    return new ChannelInitializer<SocketChannel>() {
      @Override
      protected void initChannel(SocketChannel ch) {
        ch.pipeline()
            .addLast(new FlushConsolidationHandler(256, true))
            .addLast(new LengthFieldBasedFrameDecoder(MAX_FRAME, 0, 4, 0, 4))
            .addLast(new Decoder())
            .addLast(new Encoder())
            .addLast(handler.get());
      }
    };
  }

  private static ChannelHandler handler(BiConsumer<Channel, Object> onMessage) {
    return new SimpleChannelInboundHandler<Object>() {
      @Override
      protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
        onMessage.accept(ctx.channel(), msg);
      }
    };
  }

  /** Waits, flushing, until {@code channel} accepts writes again: Netty's backpressure. */
  public static void awaitWritable(Channel channel) {
    channel.flush();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!channel.isWritable()) {
      if (!channel.isActive() || System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("Netty channel stayed unwritable");
      }
      Thread.yield();
    }
  }

  @Override
  public void close() {
    synchronized (servers) {
      for (Channel server : servers) {
        server.close().syncUninterruptibly();
      }
      servers.clear();
    }
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private final class Encoder extends MessageToByteEncoder<Object> {
    private final EncodeBuffer scratch = new EncodeBuffer(4096);

    // The length prefix is written here, into the same buffer as the body: one buffer per frame
    // rather than LengthFieldPrepender's two.
    @Override
    protected void encode(ChannelHandlerContext ctx, Object msg, ByteBuf out) {
      if (msg instanceof byte[] bytes && codecName.equals("bytes")) {
        out.writeInt(bytes.length).writeBytes(bytes);
        return;
      }
      scratch.reset(1024 * 1024);
      codec.encode(msg, scratch);
      out.writeInt(scratch.position()).writeBytes(scratch.array(), 0, scratch.position());
    }
  }

  private final class Decoder extends MessageToMessageDecoder<ByteBuf> {
    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf frame, List<Object> out) {
      if (codecName.equals("bytes")) {
        byte[] bytes = new byte[frame.readableBytes()];
        frame.readBytes(bytes);
        out.add(bytes);
        return;
      }
      out.add(codec.decode(type, frame.nioBuffer()));
    }
  }
}
