package io.kvorum.server.http;

import io.grpc.netty.shaded.io.netty.bootstrap.Bootstrap;
import io.grpc.netty.shaded.io.netty.buffer.ByteBuf;
import io.grpc.netty.shaded.io.netty.buffer.Unpooled;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelFutureListener;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetSocketAddress;

/**
 * Relays one accepted HTTP/1 connection of the client port to the HTTP server on loopback, byte
 * for byte in both directions, on the accepted connection's event loop. Until the loopback
 * connection is up it holds what the client sent; then both sides are joined by a {@link Pipe}
 * each. Each side reads its next bytes only once the previous ones were written to the other, so
 * a slow reader slows its writer instead of filling memory. When either side closes, the other
 * is closed once what it was sent has been flushed.
 */
final class Http1Relay extends ChannelInboundHandlerAdapter {
  private final InetSocketAddress target;
  private ByteBuf opening;

  /** @param opening the bytes the client already sent (the relay releases them) */
  Http1Relay(InetSocketAddress target, ByteBuf opening) {
    this.target = target;
    this.opening = opening;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    Channel client = ctx.channel();
    client.config().setAutoRead(false);
    new Bootstrap()
        .group(client.eventLoop())
        .channel(client instanceof EpollSocketChannel ? EpollSocketChannel.class : NioSocketChannel.class)
        .option(ChannelOption.AUTO_READ, false)
        .option(ChannelOption.TCP_NODELAY, true)
        .handler(new Pipe(client))
        .connect(target)
        .addListener((ChannelFutureListener) connected -> {
          ByteBuf first = opening;
          opening = null;
          if (!connected.isSuccess() || !client.isActive()) {
            first.release();
            connected.channel().close();
            client.close();
            return;
          }
          Channel server = connected.channel();
          ctx.pipeline().replace(this, null, new Pipe(server));
          server.writeAndFlush(first).addListener(readNextFrom(client));
          server.read();
        });
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (opening != null) {
      opening.release();
      opening = null;
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    // Read in the same turn as the opening, before the relay's connection is up.
    opening = Unpooled.wrappedBuffer(opening, (ByteBuf) msg);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }

  /** After a write to one side: read more from {@code source}, or end both if it failed. */
  private static ChannelFutureListener readNextFrom(Channel source) {
    return written -> {
      if (written.isSuccess()) {
        source.read();
      } else {
        written.channel().close();
        closeAfterFlush(source);
      }
    };
  }

  private static void closeAfterFlush(Channel channel) {
    if (channel.isActive()) {
      channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }
  }

  /** One side of a joined relay: what it reads goes to {@code peer}. */
  private static final class Pipe extends ChannelInboundHandlerAdapter {
    private final Channel peer;

    Pipe(Channel peer) {
      this.peer = peer;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      peer.writeAndFlush(msg).addListener(readNextFrom(ctx.channel()));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      closeAfterFlush(peer);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // A reset by either side is its own business: the relay just ends.
      ctx.close();
    }
  }
}
