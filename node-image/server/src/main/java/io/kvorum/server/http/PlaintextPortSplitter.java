package io.kvorum.server.http;

import io.grpc.netty.shaded.io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiator;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiators;
import io.grpc.netty.shaded.io.netty.buffer.ByteBuf;
import io.grpc.netty.shaded.io.netty.buffer.Unpooled;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandler;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.util.AsciiString;
import io.grpc.netty.shaded.io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * etcd's cmux for a plaintext client port: one TCP port, two servers. A connection that opens
 * with HTTP/2's preface ({@code PRI * HTTP/2.0...}, what every gRPC client sends first) is
 * served by grpc-java's own HTTP/2 server; any other opening is HTTP/1.x ({@code GET /health},
 * {@code POST /v3/kv/put}, an h2c upgrade) and is relayed to the HTTP server on {@code http},
 * a loopback address, by {@link Http1Relay}.
 *
 * <p>Why two servers: grpc-java serves a unary call with about half the CPU of the HTTP server's
 * gRPC bridge (a put with the Raft hand-off, measured on this machine: 39-45 against 72-82 µs per
 * call), and a member's client port was 44 % of its CPU under load. As in etcd 3.4 without TLS,
 * an HTTP/2 connection is gRPC only: a JSON or health request sent as HTTP/2 with prior knowledge
 * gets 415 (HTTP/1.1, as curl and Prometheus send, is served). TLS ports keep the one HTTP server
 * that routes each request by content type (etcd 3.4's TLS path does the same), since ALPN
 * decides HTTP/2 for every request of a connection.
 *
 * <p>The decision waits for the first bytes. A connection that says nothing within {@link
 * #DECIDE_TIMEOUT_SECONDS} is closed; grpc's own handshake timeout is off for the port, because a
 * relayed HTTP/1 connection never completes gRPC's negotiation.
 */
final class PlaintextPortSplitter implements InternalProtocolNegotiator.ProtocolNegotiator {
  static final long DECIDE_TIMEOUT_SECONDS = 120;
  private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  private final InternalProtocolNegotiator.ProtocolNegotiator plaintext = InternalProtocolNegotiators.serverPlaintext();
  private final InetSocketAddress http;

  /** @param http where the HTTP/1 server listens (loopback) */
  PlaintextPortSplitter(InetSocketAddress http) {
    this.http = http;
  }

  @Override
  public AsciiString scheme() {
    return plaintext.scheme();
  }

  @Override
  public ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpcHandler) {
    return new Sniffer(grpcHandler);
  }

  @Override
  public void close() {
    plaintext.close();
  }

  /**
   * Holds the connection's first bytes (and grpc's negotiation events) until they show the
   * protocol, then hands both to the chosen server and leaves the pipeline.
   */
  private final class Sniffer extends ChannelInboundHandlerAdapter {
    private final GrpcHttp2ConnectionHandler grpcHandler;
    private final List<Object> heldEvents = new ArrayList<>();
    private ByteBuf opening = Unpooled.EMPTY_BUFFER;
    private ScheduledFuture<?> timeout;

    Sniffer(GrpcHttp2ConnectionHandler grpcHandler) {
      this.grpcHandler = grpcHandler;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      timeout = ctx.executor().schedule(() -> ctx.close(), DECIDE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
      timeout.cancel(false);
      opening.release();
      opening = Unpooled.EMPTY_BUFFER;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
      // grpc's negotiation starts with an event from behind this handler; it may only reach
      // grpc's handler once that is in the pipeline.
      heldEvents.add(event);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf bytes = opening.isReadable() ? Unpooled.wrappedBuffer(opening, (ByteBuf) msg) : (ByteBuf) msg;
      opening = Unpooled.EMPTY_BUFFER;
      int seen = Math.min(bytes.readableBytes(), PREFACE.length);
      for (int i = 0; i < seen; i++) {
        if (bytes.getByte(bytes.readerIndex() + i) != PREFACE[i]) {
          toHttp1(ctx, bytes);
          return;
        }
      }
      if (seen == PREFACE.length) {
        toGrpc(ctx, bytes);
      } else {
        opening = bytes;
      }
    }

    private void toGrpc(ChannelHandlerContext ctx, ByteBuf bytes) {
      ctx.pipeline().addAfter(ctx.name(), null, plaintext.newHandler(grpcHandler));
      heldEvents.forEach(ctx::fireUserEventTriggered);
      ctx.fireChannelRead(bytes);
      ctx.pipeline().remove(this);
    }

    private void toHttp1(ChannelHandlerContext ctx, ByteBuf bytes) {
      // Nothing of grpc's stays behind: its write buffer would hold the relay's answers until a
      // gRPC negotiation that never comes.
      while (ctx.pipeline().last() != this) {
        ctx.pipeline().removeLast();
      }
      ctx.pipeline().replace(this, null, new Http1Relay(http, bytes));
    }
  }
}
