package io.kvorum.operator.member;

/** A member operation failed or timed out; the message says which and against which member. */
public class MemberException extends RuntimeException {
  public MemberException(String message, Throwable cause) {
    super(message, cause);
  }

  public MemberException(String message) {
    super(message);
  }
}
