package io.kvorum.server;

/** Entry point of {@code kvorum.jar}; the server engineers replace this with the real CLI. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.err.println("kvorum: the node is not built yet");
    System.exit(2);
  }
}
