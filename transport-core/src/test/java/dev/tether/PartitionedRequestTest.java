package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.testing.Msg;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One request to several peers of a pool, answers gathered by node id: all, a quorum or the first,
 * with every peer's failure reported rather than swallowed.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PartitionedRequestTest {
  private static final Duration LONG = Duration.ofSeconds(20);

  private final List<AutoCloseable> closeAfter = new ArrayList<>();
  private final CountDownLatch releaseSlowPeer = new CountDownLatch(1);
  private final PeerAddresses peers = new PeerAddresses();

  @AfterEach
  void closeAll() throws Exception {
    releaseSlowPeer.countDown();
    for (int i = closeAfter.size() - 1; i >= 0; i--) {
      closeAfter.get(i).close();
    }
  }

  private <T extends AutoCloseable> T closing(T resource) {
    closeAfter.add(resource);
    return resource;
  }

  private void peer(long nodeId, RequestHandler<Object, Object> handler) {
    Server<Object, Object> server =
        closing(
            Tether.server(TestTypes.TYPES)
                .config(TetherConfig.builder().codecs("test").nodeId(nodeId).build())
                .onRequest(handler)
                .bind(new InetSocketAddress("127.0.0.1", 0)));
    peers.put(nodeId, server.address());
  }

  private void answering(long nodeId) {
    peer(nodeId, (c, m) -> new Msg("count", nodeId * 10));
  }

  private void failing(long nodeId) {
    peer(
        nodeId,
        (c, m) -> {
          throw new IllegalStateException("partition " + nodeId + " is being rebuilt");
        });
  }

  private void slow(long nodeId) {
    peer(
        nodeId,
        (c, m) -> {
          releaseSlowPeer.await();
          return new Msg("late", nodeId);
        });
  }

  private Replies<Long, Msg> askAll(List<Long> nodes, Quorum quorum, Duration timeout)
      throws Exception {
    PeerPool<Object, Object> pool =
        closing(
            Tether.client(TestTypes.TYPES)
                .config(TetherConfig.builder().codecs("test").nodeId(100).build())
                .peerPool(peers));
    CompletableFuture<Replies<Long, Msg>> replies =
        pool.requestAll(nodes, new Msg("count words", 0), Msg.class, quorum, timeout);
    return replies.get(30, TimeUnit.SECONDS);
  }

  @Test
  void allGathersEveryAnswerByNodeId() throws Exception {
    answering(1);
    answering(2);
    answering(3);

    Replies<Long, Msg> replies = askAll(List.of(1L, 2L, 3L), Quorum.all(), LONG);

    assertThat(replies.isSatisfied()).isTrue();
    assertThat(replies.successes()).containsOnlyKeys(1L, 2L, 3L);
    assertThat(replies.values().stream().mapToLong(Msg::seq).sum()).isEqualTo(60);
    assertThat(replies.failures()).isEmpty();
    assertThat(replies.unanswered()).isEmpty();
    assertThat(replies.orThrow()).isSameAs(replies);
  }

  @Test
  void everyPeersOutcomeIsReportedByNodeIdAndNoFailureIsSwallowed() throws Exception {
    answering(1);
    failing(2); // node 3 is not in the resolver at all

    Replies<Long, Msg> replies = askAll(List.of(1L, 2L, 3L), Quorum.all(), LONG);

    assertThat(replies.isSatisfied()).isFalse();
    assertThat(replies.successes()).containsOnlyKeys(1L);
    assertThat(replies.failures()).containsOnlyKeys(2L, 3L);
    assertThat(replies.failures().get(2L))
        .isInstanceOfSatisfying(
            RequestFailedException.class,
            e -> assertThat(e.code()).isEqualTo(RequestErrorCode.HANDLER_FAILED))
        .hasMessageContaining("partition 2 is being rebuilt");
    assertThat(replies.failures().get(3L)).isInstanceOf(UnknownPeerException.class);
    assertThat(replies.unanswered()).isEmpty();
    assertThatThrownBy(replies::orThrow)
        .isInstanceOf(TetherException.class)
        .hasMessageContaining("1 of 3 answered, 3 needed")
        .hasMessageContaining("2 failed: ")
        .hasMessageContaining("3 failed: unknown peer: node 3");
  }

  @Test
  void aPeerThatDoesNotAnswerInTimeIsNamedBesideThoseThatFailed() throws Exception {
    slow(1);
    failing(2);

    // the timeout must outlast connecting to both peers and node 2's answer on a busy machine;
    // node 1 never answers before it, however long it is
    Replies<Long, Msg> replies = askAll(List.of(1L, 2L), Quorum.first(), Duration.ofSeconds(3));

    assertThat(replies.isSatisfied()).isFalse();
    assertThat(replies.successes()).isEmpty();
    assertThat(replies.failures()).containsKey(2L);
    assertThat(replies.unanswered().size() + replies.failures().size()).isEqualTo(2);
    assertThat(replies.toString()).contains("0 of 2 answered, 1 needed", "2 failed: ");
  }

  @Test
  void aQuorumEndsAsSoonAsEnoughPeersAnsweredWithoutWaitingForTheSlowOne() throws Exception {
    answering(1);
    answering(2);
    slow(3);

    long start = System.nanoTime();
    Replies<Long, Msg> replies = askAll(List.of(1L, 2L, 3L), Quorum.majority(), LONG);

    assertThat(System.nanoTime() - start).isLessThan(LONG.toNanos() / 2);
    assertThat(replies.isSatisfied()).isTrue();
    assertThat(replies.needed()).isEqualTo(2);
    assertThat(replies.successes()).containsOnlyKeys(1L, 2L);
    assertThat(replies.unanswered()).containsExactly(3L);
    assertThat(replies.timedOut()).isFalse();
  }

  @Test
  void theFirstAnswerIsEnoughForQuorumFirst() throws Exception {
    slow(1);
    answering(2);

    Replies<Long, Msg> replies = askAll(List.of(1L, 2L), Quorum.first(), LONG);

    assertThat(replies.isSatisfied()).isTrue();
    assertThat(replies.successes()).containsOnlyKeys(2L);
    assertThat(replies.unanswered()).containsExactly(1L);
  }

  @Test
  void aQuorumLargerThanThePeersAskedIsRefusedBeforeAnythingIsSent() {
    PeerPool<Object, Object> pool =
        closing(Tether.client(TestTypes.TYPES).codecs("test").peerPool(peers));

    assertThatThrownBy(
            () -> pool.requestAll(List.of(1L, 2L), new Msg("q", 0), Msg.class, Quorum.of(3), LONG))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("a quorum of 3 answers cannot be reached by asking 2 peers");
  }
}
