package io.kvorum.server.config;

/**
 * A flag, environment variable or combination of them that cannot start a member. The message
 * is the one line the user sees: what was wrong and what to do; {@code Main} exits with code 2.
 */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }
}
