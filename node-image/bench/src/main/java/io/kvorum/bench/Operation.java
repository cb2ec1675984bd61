package io.kvorum.bench;

/**
 * One kind of request a client sends. {@link #send} must not block: it starts an asynchronous
 * call and the completion is called exactly once, on a gRPC thread, when the answer or an error
 * arrives (every call carries a deadline, so it always arrives).
 */
interface Operation {

  void send(int client, Completion completion);

  interface Completion {
    void succeeded();

    void failed(Throwable error);
  }
}
