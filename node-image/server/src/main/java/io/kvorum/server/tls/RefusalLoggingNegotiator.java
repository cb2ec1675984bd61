package io.kvorum.server.tls;

import io.grpc.netty.shaded.io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiator;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiators;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandler;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslHandler;
import io.kvorum.server.log.Log;

/**
 * grpc-netty's server TLS, plus one warning line per refused handshake naming the remote
 * address and the reason, as etcd logs {@code "rejected connection"} on its peer port:
 *
 * <pre>
 * {"level":"warn","msg":"rejected connection on peer endpoint","remote-addr":"/127.0.0.1:41234",
 *  "error":"Empty client certificate chain"}
 * </pre>
 *
 * <p>grpc hides its handshake; this puts a watcher behind the negotiator's handler that, once
 * grpc has put its {@link SslHandler} in the pipeline (when the channel becomes active), listens
 * for the handshake's outcome and leaves the pipeline. Uses grpc's
 * {@code Internal*} negotiator API, public for exactly this kind of extension.
 */
public final class RefusalLoggingNegotiator implements InternalProtocolNegotiator.ProtocolNegotiator {
  private static final Log LOG = Log.get(RefusalLoggingNegotiator.class);

  private final InternalProtocolNegotiator.ProtocolNegotiator tls;
  private final String endpoint;

  /** @param endpoint what is refused, for the log line: {@code "peer"} */
  public RefusalLoggingNegotiator(SslContext context, String endpoint) {
    this.tls = InternalProtocolNegotiators.serverTls(context);
    this.endpoint = endpoint;
  }

  @Override
  public io.grpc.netty.shaded.io.netty.util.AsciiString scheme() {
    return tls.scheme();
  }

  @Override
  public ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpcHandler) {
    ChannelHandler negotiation = tls.newHandler(grpcHandler);
    return new ChannelInboundHandlerAdapter() {
      private boolean watching;

      @Override
      public void handlerAdded(ChannelHandlerContext ctx) {
        // grpc adds its SslHandler once the channel is active, maybe right now, maybe later.
        ctx.pipeline().addBefore(ctx.name(), null, negotiation);
        watchHandshake(ctx);
      }

      @Override
      public void channelActive(ChannelHandlerContext ctx) {
        ctx.fireChannelActive();
        watchHandshake(ctx);
      }

      @Override
      public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        ctx.fireUserEventTriggered(evt);
        watchHandshake(ctx);
      }

      private void watchHandshake(ChannelHandlerContext ctx) {
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        if (watching || ssl == null) {
          return;
        }
        watching = true;
        Channel channel = ctx.channel();
        ssl.handshakeFuture()
            .addListener(
                f -> {
                  if (!f.isSuccess()) {
                    LOG.warn(
                        "rejected connection on " + endpoint + " endpoint",
                        "remote-addr", String.valueOf(channel.remoteAddress()),
                        "error", rootMessage(f.cause()));
                  }
                });
        ctx.pipeline().remove(this);
      }
    };
  }

  private static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c.getMessage() != null ? c.getMessage() : c.toString();
  }

  @Override
  public void close() {
    tls.close();
  }
}
