package io.kvorum.server.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class DeadlinesTest {
  private final Deadlines deadlines = new Deadlines();

  @Test
  void failsAFutureOnlyOnceItsDeadlinePassed() {
    CompletableFuture<String> answer = deadlines.failAfter(new CompletableFuture<>(), 1_000);

    deadlines.expire(999);
    assertThat(answer).isNotDone();

    deadlines.expire(1_000);
    assertThat(answer).isCompletedExceptionally();
    assertThat(answer.exceptionNow()).isInstanceOf(TimeoutException.class);
    assertThat(deadlines.pending()).isZero();
  }

  @Test
  void anAnsweredFutureIsForgottenAndKeepsItsAnswer() {
    CompletableFuture<String> answer = deadlines.failAfter(new CompletableFuture<>(), 1_000);

    answer.complete("ok");
    deadlines.expire(5_000);

    assertThat(answer.join()).isEqualTo("ok");
    assertThat(deadlines.pending()).isZero();
  }

  @Test
  void deadlinesCompareAcrossTheWrapOfNanoTime() {
    long deadline = Long.MAX_VALUE - 10;
    CompletableFuture<String> answer = deadlines.failAfter(new CompletableFuture<>(), deadline);

    deadlines.expire(deadline - 5);
    assertThat(answer).isNotDone();

    deadlines.expire(deadline + 20); // wrapped to a negative number
    assertThat(answer).isCompletedExceptionally();
  }

  @Test
  void onlyTheExpiredOfManyFail() {
    CompletableFuture<String> early = deadlines.failAfter(new CompletableFuture<>(), 100);
    CompletableFuture<String> late = deadlines.failAfter(new CompletableFuture<>(), 200);

    deadlines.expire(150);

    assertThat(early).isCompletedExceptionally();
    assertThat(late).isNotDone();
    assertThat(deadlines.pending()).isEqualTo(1);
  }
}
