package io.kvorum.server.tls;

import io.kvorum.server.config.ServerConfig;
import java.io.IOException;
import java.net.URI;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A member's TLS, loaded once at start from its flags and shared by everything that serves or
 * dials.
 *
 * @param client the client port's certificate and client verification; null without client TLS
 * @param peer the peer port's certificate, also presented when dialing other members; null
 *     without peer TLS
 * @param peerChannels dials other members' peer URLs (Raft streams, snapshots, version checks)
 * @param clientChannels dials other members' client URLs (a follower forwarding to the leader)
 */
public record MemberTls(PortTls client, PortTls peer, GrpcChannels peerChannels, GrpcChannels clientChannels) {

  /**
   * @throws IOException when a certificate, key or CA file cannot be read (the message names
   *     it) or auto TLS cannot write its files
   */
  public static MemberTls load(ServerConfig config) throws IOException {
    PortTls client =
        config.clientTls().enabled()
            ? PortTls.load(config.clientTls(), config.autoTlsDir(false), hosts(config.listenClientUrls(), config.advertiseClientUrls()))
            : null;
    PortTls peer =
        config.peerTls().enabled()
            ? PortTls.load(config.peerTls(), config.autoTlsDir(true), hosts(config.listenPeerUrls(), config.initialAdvertisePeerUrls()))
            : null;
    return new MemberTls(client, peer, GrpcChannels.of(peer), GrpcChannels.of(client));
  }

  /** The hosts an auto-TLS certificate names: those of the listen and advertise URLs. */
  private static List<String> hosts(List<URI> listen, List<URI> advertise) {
    Set<String> hosts = new LinkedHashSet<>();
    Stream.concat(listen.stream(), advertise.stream()).map(URI::getHost).forEach(hosts::add);
    return List.copyOf(hosts);
  }
}
