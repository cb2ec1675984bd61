package io.kvorum.server.peer;

import io.kvorum.raft.pb.Message;
import io.kvorum.server.peer.pb.Handshake;
import io.kvorum.server.peer.pb.VersionResponse;
import java.nio.file.Path;

/**
 * What the peer port needs from the local member: whom to accept, where incoming Raft messages
 * and snapshots go, and what version to report. Implemented by the member; every method may be
 * called from gRPC threads concurrently.
 */
public interface PeerHandler {

  /**
   * Checks a connecting peer beyond the wire basics {@link HandshakeCheck} covers (for example a
   * removed member, or a server version the cluster cannot take).
   *
   * @return null to accept, or the reason to refuse, one line that names both sides' values
   */
  String admit(Handshake handshake);

  /** Hands a Raft message to the Raft loop; must not block. */
  void receive(Message message);

  /** Where incoming snapshot files are written before {@link #receiveSnapshot}. */
  Path incomingSnapshotDir();

  /**
   * Takes a received, checksum-verified snapshot: the MsgSnap and the backend checkpoint file.
   * Ownership of the file passes to the member.
   */
  void receiveSnapshot(Message message, Path databaseFile);

  /** The local identity and versions, for handshakes and {@code GetVersion}. */
  VersionResponse version();

  /** The membership as known here, for {@code GetMembers}. */
  io.kvorum.server.membership.pb.MembersResponse members();
}
