package io.kvorum.server.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameListener;
import io.netty.handler.codec.http2.Http2FrameListenerDecorator;
import io.netty.handler.codec.http2.Http2Headers;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * Accepts an HTTP/2 {@code :authority} that carries a URL scheme, as etcd's Go server does.
 *
 * <p>etcdctl 3.4 dials some commands ({@code endpoint status}, {@code endpoint hashkv}) through a
 * {@code passthrough:///http://host:port} target, so its {@code :authority} is {@code
 * http://host:port}. Vert.x refuses such a request as malformed (RST_STREAM PROTOCOL_ERROR)
 * before any handler sees it. This strips {@code http://} or {@code https://} (and a trailing
 * path) from the pseudo-header as the frame is read, before Vert.x parses it: {@code
 * http://127.0.0.1:2379} becomes {@code 127.0.0.1:2379}. Any other authority is left alone.
 *
 * <p>It reaches into the connection's Netty pipeline (Vert.x has no public hook for frame
 * headers); {@code EtcdctlWireIT} runs etcdctl's {@code endpoint status} against it, so a
 * Vert.x upgrade that moves these internals fails a test rather than a user.
 */
final class SchemeInAuthority extends Http2FrameListenerDecorator {

  private SchemeInAuthority(Http2FrameListener listener) {
    super(listener);
  }

  /** For {@code HttpServer.connectionHandler}: wraps the frame listener of an HTTP/2 connection. */
  static void install(HttpConnection connection) {
    if (!(connection instanceof ConnectionBase base)) {
      return;
    }
    Http2ConnectionHandler http2 = base.channelHandlerContext().pipeline().get(Http2ConnectionHandler.class);
    if (http2 != null && !(http2.decoder().frameListener() instanceof SchemeInAuthority)) {
      http2.decoder().frameListener(new SchemeInAuthority(http2.decoder().frameListener()));
    }
  }

  static CharSequence withoutScheme(CharSequence authority) {
    String a = authority.toString();
    int start = a.startsWith("http://") ? 7 : a.startsWith("https://") ? 8 : -1;
    if (start < 0) {
      return authority;
    }
    int slash = a.indexOf('/', start);
    return a.substring(start, slash < 0 ? a.length() : slash);
  }

  private static void normalize(Http2Headers headers) {
    CharSequence authority = headers.authority();
    if (authority != null) {
      headers.authority(withoutScheme(authority));
    }
  }

  @Override
  public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding, boolean endOfStream)
      throws Http2Exception {
    normalize(headers);
    super.onHeadersRead(ctx, streamId, headers, padding, endOfStream);
  }

  @Override
  public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int streamDependency,
      short weight, boolean exclusive, int padding, boolean endOfStream) throws Http2Exception {
    normalize(headers);
    super.onHeadersRead(ctx, streamId, headers, streamDependency, weight, exclusive, padding, endOfStream);
  }
}
