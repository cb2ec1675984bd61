package io.kvorum.server.auth;

/**
 * Who sent a request (etcd's {@code AuthInfo}): the user name and the auth revision at the
 * moment the member resolved the caller's token or certificate. {@link #NONE} (revision 0) is a
 * request without credentials; with auth enabled it fails with "etcdserver: user name is empty".
 */
public record AuthInfo(String user, long revision) {
  public static final AuthInfo NONE = new AuthInfo("", 0);

  public boolean anonymous() {
    return revision == 0;
  }
}
