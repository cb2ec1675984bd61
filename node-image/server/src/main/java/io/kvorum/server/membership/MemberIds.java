package io.kvorum.server.membership;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.List;

/**
 * Member and cluster ids derived the way etcd derives them, so the same {@code
 * --initial-cluster} and token give the same ids on every member without talking:
 *
 * <ul>
 *   <li>member id = first 8 bytes (big-endian) of SHA-1 over the member's sorted peer URLs
 *       concatenated, then the cluster token, then (for a member added at run time) the time in
 *       seconds;
 *   <li>cluster id = first 8 bytes of SHA-1 over the sorted member ids, each as 8 big-endian
 *       bytes.
 * </ul>
 *
 * A different token gives different ids, which is what makes a member with a wrong token
 * refuse (or be refused by) the others.
 */
public final class MemberIds {
  private MemberIds() {}

  public static long memberId(Collection<URI> peerUrls, String token, Long unixSeconds) {
    List<String> sorted = peerUrls.stream().map(URI::toString).sorted().toList();
    String input = String.join("", sorted) + token + (unixSeconds == null ? "" : Long.toString(unixSeconds));
    return first8(sha1(input.getBytes(StandardCharsets.UTF_8)));
  }

  public static long clusterId(Collection<Long> memberIds) {
    List<Long> sorted = memberIds.stream().sorted(Long::compareUnsigned).toList();
    ByteBuffer b = ByteBuffer.allocate(8 * sorted.size());
    sorted.forEach(b::putLong);
    return first8(sha1(b.array()));
  }

  private static long first8(byte[] hash) {
    return ByteBuffer.wrap(hash, 0, 8).getLong();
  }

  private static byte[] sha1(byte[] input) {
    try {
      return MessageDigest.getInstance("SHA-1").digest(input);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
