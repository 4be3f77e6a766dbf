package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Gathering answers from futures alone, without sockets: when a gathering ends, and with what. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RepliesTest {
  private final Map<String, CompletableFuture<Integer>> calls = new LinkedHashMap<>();

  private CompletableFuture<Integer> call(String peer) {
    return calls.computeIfAbsent(peer, p -> new CompletableFuture<>());
  }

  @Test
  void endsAsSoonAsTheQuorumIsReachedLeavingTheRestUnanswered() throws Exception {
    call("a");
    call("b");
    call("c");
    CompletableFuture<Replies<String, Integer>> replies =
        Replies.gather(calls, Quorum.majority(), Duration.ofMinutes(1));

    call("a").complete(1);
    assertThat(replies).isNotDone();
    call("b").complete(2);

    Replies<String, Integer> done = replies.get(5, TimeUnit.SECONDS);
    assertThat(done.isSatisfied()).isTrue();
    assertThat(done.successes()).containsOnlyKeys("a", "b");
    assertThat(done.unanswered()).containsExactly("c");
    assertThat(done.timedOut()).isFalse();
  }

  @Test
  void aQuorumOutOfReachStillWaitsForEveryOtherCallToReportIt() throws Exception {
    call("a");
    call("b");
    call("c");
    CompletableFuture<Replies<String, Integer>> replies =
        Replies.gather(calls, Quorum.all(), Duration.ofMinutes(1));

    call("a").completeExceptionally(new TetherException("a is down"));
    call("b").complete(2);
    assertThat(replies).as("c has not answered yet").isNotDone();
    call("c").completeExceptionally(new TetherException("c is down"));

    Replies<String, Integer> done = replies.get(5, TimeUnit.SECONDS);
    assertThat(done.isSatisfied()).isFalse();
    assertThat(done.failures()).containsOnlyKeys("a", "c");
    assertThat(done.successes()).containsOnlyKeys("b");
    assertThat(done.unanswered()).isEmpty();
  }

  @Test
  void theTimeoutEndsTheGatheringWithWhatArrivedAndNamesThoseThatDidNotAnswer() throws Exception {
    call("a").complete(1);
    call("b");

    Replies<String, Integer> done =
        Replies.gather(calls, Quorum.all(), Duration.ofMillis(100)).get(5, TimeUnit.SECONDS);

    assertThat(done.timedOut()).isTrue();
    assertThat(done.successes()).containsEntry("a", 1);
    assertThat(done.unanswered()).containsExactly("b");
    assertThat(done.toString())
        .isEqualTo("1 of 2 answered, 2 needed; no answer from [b] within 100 ms");
  }

  @Test
  void failuresWrappedByDependentStagesAreReportedUnwrapped() throws Exception {
    TetherException cause = new TetherException("refused");
    calls.put("a", CompletableFuture.<Integer>failedFuture(cause).thenApply(x -> x));

    Replies<String, Integer> done =
        Replies.gather(calls, Quorum.all(), Duration.ofMinutes(1)).get(5, TimeUnit.SECONDS);

    assertThat(done.failures().get("a")).isSameAs(cause);
  }

  @Test
  void aGatheringEndsAtItsTimeoutEvenWhenItsExecutorWasShutDown() throws Exception {
    call("a");

    Replies<String, Integer> done =
        Replies.gather(
                calls,
                Quorum.all(),
                Duration.ofMillis(50),
                task -> {
                  throw new RejectedExecutionException("shut down");
                })
            .get(5, TimeUnit.SECONDS);

    assertThat(done.timedOut()).isTrue();
    assertThat(done.unanswered()).containsExactly("a");
  }

  @Test
  void quorumSizes() {
    assertThat(Quorum.all().neededOf(5)).isEqualTo(5);
    assertThat(Quorum.majority().neededOf(4)).isEqualTo(3);
    assertThat(Quorum.majority().neededOf(5)).isEqualTo(3);
    assertThat(Quorum.first().neededOf(5)).isEqualTo(1);
    assertThat(Quorum.of(2).neededOf(5)).isEqualTo(2);
  }
}
