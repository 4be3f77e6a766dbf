package dev.tether.bench.tls;

import dev.tether.bench.support.Loops;
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
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Netty carrying {@code byte[]} messages, with or without an {@link SslHandler} at the head of the
 * pipeline, set up as in the other Netty baselines: NIO with as many loops as Tether, pooled
 * buffers, TCP_NODELAY, length-field framing, flush consolidation, write-buffer water marks.
 */
final class NettyPeers implements AutoCloseable {
  private static final int MAX_FRAME = 16 * 1024 * 1024;

  private final EventLoopGroup group =
      new MultiThreadIoEventLoopGroup(Loops.count(), NioIoHandler.newFactory());
  private final SslContext serverTls;
  private final SslContext clientTls;
  private final Channel serverChannel;

  /** Binds a server that hands each message to {@code onMessage}; TLS if {@code tls}. */
  NettyPeers(boolean tls, BiConsumer<Channel, byte[]> onMessage) throws InterruptedException {
    this.serverTls = tls ? TlsKeys.nettyServer() : null;
    this.clientTls = tls ? TlsKeys.nettyClient() : null;
    serverChannel =
        new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
            .childHandler(pipeline(serverTls, null, onMessage))
            .bind(new InetSocketAddress("127.0.0.1", 0))
            .sync()
            .channel();
  }

  /**
   * Connects a client; {@code onMessage} gets what the server sends back. The TLS handshake is
   * complete when this returns.
   */
  Channel connect(BiConsumer<Channel, byte[]> onMessage) throws Exception {
    InetSocketAddress address = (InetSocketAddress) serverChannel.localAddress();
    Channel channel =
        new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
            .option(
                ChannelOption.WRITE_BUFFER_WATER_MARK,
                new WriteBufferWaterMark(1024 * 1024, 4 * 1024 * 1024))
            .handler(pipeline(clientTls, address, onMessage))
            .connect(address)
            .sync()
            .channel();
    SslHandler ssl = channel.pipeline().get(SslHandler.class);
    if (ssl != null) {
      ssl.handshakeFuture().get(10, TimeUnit.SECONDS);
    }
    return channel;
  }

  private static ChannelInitializer<SocketChannel> pipeline(
      SslContext tls, InetSocketAddress peer, BiConsumer<Channel, byte[]> onMessage) {
    return new ChannelInitializer<SocketChannel>() {
      @Override
      protected void initChannel(SocketChannel ch) {
        ch.pipeline().addLast(new FlushConsolidationHandler(256, true));
        if (tls != null) {
          ch.pipeline()
              .addLast(
                  peer == null
                      ? tls.newHandler(ch.alloc())
                      : tls.newHandler(ch.alloc(), peer.getHostString(), peer.getPort()));
        }
        ch.pipeline()
            .addLast(new LengthFieldBasedFrameDecoder(MAX_FRAME, 0, 4, 0, 4))
            .addLast(new Encoder())
            .addLast(
                new SimpleChannelInboundHandler<ByteBuf>() {
                  @Override
                  protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
                    byte[] bytes = new byte[frame.readableBytes()];
                    frame.readBytes(bytes);
                    onMessage.accept(ctx.channel(), bytes);
                  }
                });
      }
    };
  }

  /** Waits, flushing, until {@code channel} accepts writes again: Netty's backpressure. */
  static void awaitWritable(Channel channel) {
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

  /** The length prefix and the bytes, into one buffer. */
  private static final class Encoder extends MessageToByteEncoder<byte[]> {
    @Override
    protected void encode(ChannelHandlerContext ctx, byte[] msg, ByteBuf out) {
      out.writeInt(msg.length).writeBytes(msg);
    }
  }
}
