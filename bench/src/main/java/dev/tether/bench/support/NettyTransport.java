package dev.tether.bench.support;

import dev.tether.codec.Codec;
import dev.tether.codec.EncodeBuffer;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
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
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * The Netty baseline, set up the way a Netty expert would: NIO transport with as many loop threads
 * as Tether uses, pooled buffers, TCP_NODELAY, length-field framing (the prefix written by the
 * encoder into the frame's own buffer, decoded by LengthFieldBasedFrameDecoder), flush
 * consolidation, write-buffer water marks, and the same codec as the Tether run encoding straight
 * into the outbound {@link ByteBuf} and decoding from the frame without a copy.
 */
public final class NettyTransport implements AutoCloseable {
  private static final int MAX_FRAME = 16 * 1024 * 1024;

  private final EventLoopGroup group =
      new MultiThreadIoEventLoopGroup(Loops.count(), NioIoHandler.newFactory());
  private final Channel serverChannel;
  private final String codecName;
  private final Codec codec;
  private final Class<?> type;

  /**
   * Binds a server whose pipeline decodes each frame and hands it to {@code onMessage}.
   *
   * @param codecName a Tether codec name, or {@code bytes} for plain arrays
   */
  public NettyTransport(String codecName, BiConsumer<Channel, Object> onMessage)
      throws InterruptedException {
    this.codecName = codecName;
    this.codec = Codecs.create(codecName, Payloads.types(codecName));
    this.type = Payloads.type(codecName);
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
            .childHandler(pipeline(onMessage));
    serverChannel = bootstrap.bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
  }

  /** Connects a client whose pipeline mirrors the server's; {@code onMessage} gets replies. */
  public Channel connect(BiConsumer<Channel, Object> onMessage) throws InterruptedException {
    Bootstrap bootstrap =
        new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
            .option(
                ChannelOption.WRITE_BUFFER_WATER_MARK,
                new WriteBufferWaterMark(1024 * 1024, 4 * 1024 * 1024))
            .handler(pipeline(onMessage));
    return bootstrap.connect(serverChannel.localAddress()).sync().channel();
  }

  /** The same pipeline on both ends: framing, codec, and the handler. */
  private ChannelInitializer<SocketChannel> pipeline(BiConsumer<Channel, Object> onMessage) {
    return new ChannelInitializer<SocketChannel>() {
      @Override
      protected void initChannel(SocketChannel ch) {
        ch.pipeline()
            .addLast(new FlushConsolidationHandler(256, true))
            .addLast(new LengthFieldBasedFrameDecoder(MAX_FRAME, 0, 4, 0, 4))
            .addLast(new Decoder())
            .addLast(new Encoder())
            .addLast(
                new SimpleChannelInboundHandler<Object>() {
                  @Override
                  protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
                    onMessage.accept(ctx.channel(), msg);
                  }
                });
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
    serverChannel.close().syncUninterruptibly();
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
