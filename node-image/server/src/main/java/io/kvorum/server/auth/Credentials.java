package io.kvorum.server.auth;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingClientCall;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.kvorum.server.api.ClientIdentity;
import io.kvorum.server.auth.pb.AuthHeader;
import java.util.function.Supplier;

/**
 * What a client presented with a request, as etcd reads it: the simple token from the gRPC
 * metadata {@code token} (or {@code authorization}, which is where etcd's JSON gateway puts the
 * HTTP {@code Authorization} header), and the common name of its verified client certificate.
 *
 * <p>It travels in the gRPC {@link Context} from the transport ({@link #serverInterceptor()},
 * the gateway's {@link #runWith}) to {@link AuthorizingNode}, which resolves it to an {@link
 * AuthInfo}; the resolved identity travels the same way, synchronously, into the member's
 * proposal ({@link #proposalHeader()}), so the entry carries who sent it.
 *
 * @param token the token as sent, or null
 * @param commonName the CN of a verified client certificate ({@link ClientIdentity}), or null
 *     (no TLS, no certificate)
 */
public record Credentials(String token, String commonName) {
  public static final Credentials NONE = new Credentials(null, null);

  static final Metadata.Key<String> TOKEN = Metadata.Key.of("token", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private static final Context.Key<Credentials> PRESENTED = Context.key("kvorum-credentials");
  private static final Context.Key<AuthInfo> RESOLVED = Context.key("kvorum-auth-info");

  /** The credentials of the call being served on this thread; {@link #NONE} outside a call. */
  public static Credentials current() {
    Credentials c = PRESENTED.get();
    return c == null ? NONE : c;
  }

  /** Runs {@code call} as a request that presented {@code credentials} (the JSON gateway). */
  public static void runWith(Credentials credentials, Runnable call) {
    Context.current().withValue(PRESENTED, credentials).run(call);
  }

  /** Calls {@code proposal} with {@code who} attached, for {@link #proposalHeader()}. */
  static <T> T callAs(AuthInfo who, Credentials presented, Supplier<T> proposal) {
    Context ctx = Context.current().withValues(RESOLVED, who, PRESENTED, presented);
    Context previous = ctx.attach();
    try {
      return proposal.get();
    } finally {
      ctx.detach(previous);
    }
  }

  /**
   * The auth header for a proposal made on this thread: the resolved caller of the client
   * request being served, or null for the member's own proposals (lease expiry and the like),
   * which need no permission.
   */
  public static AuthHeader proposalHeader() {
    AuthInfo who = RESOLVED.get();
    if (who == null) {
      return null;
    }
    return AuthHeader.newBuilder().setUsername(who.user()).setRevision(who.revision()).build();
  }

  /**
   * Reads each call's token and, on TLS connections with a verified client certificate, the
   * certificate's common name into the call's {@link Context}.
   */
  public static ServerInterceptor serverInterceptor() {
    return new ServerInterceptor() {
      @Override
      public <Q, A> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        String token = headers.get(TOKEN);
        if (token == null) {
          token = headers.get(AUTHORIZATION);
        }
        String cn = ClientIdentity.commonName(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION)).orElse(null);
        if (token == null && cn == null) {
          return next.startCall(call, headers);
        }
        return Contexts.interceptCall(
            Context.current().withValue(PRESENTED, new Credentials(token, cn)), call, headers, next);
      }
    };
  }

  /**
   * For a member's calls to the leader on behalf of a client (lease keep-alive and time-to-live,
   * learner promotion): sends the client's token along, so the leader sees the same caller.
   * Tokens are replicated, so the leader knows them.
   */
  public static ClientInterceptor forwardingInterceptor() {
    return new ClientInterceptor() {
      @Override
      public <Q, A> ClientCall<Q, A> interceptCall(
          MethodDescriptor<Q, A> method, CallOptions options, Channel next) {
        String token = current().token();
        ClientCall<Q, A> call = next.newCall(method, options);
        if (token == null) {
          return call;
        }
        return new ForwardingClientCall.SimpleForwardingClientCall<>(call) {
          @Override
          public void start(Listener<A> listener, Metadata headers) {
            headers.put(TOKEN, token);
            super.start(listener, headers);
          }
        };
      }
    };
  }

  @Override
  public String toString() {
    // Never print a token.
    return "Credentials[token=" + (token == null ? "none" : "present") + ", commonName=" + commonName + "]";
  }
}
