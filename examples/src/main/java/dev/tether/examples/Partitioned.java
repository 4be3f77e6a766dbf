package dev.tether.examples;

import dev.tether.MessageTypes;
import dev.tether.PeerAddresses;
import dev.tether.PeerPool;
import dev.tether.Quorum;
import dev.tether.Replies;
import dev.tether.Server;
import dev.tether.Tether;
import dev.tether.TetherConfig;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The {@code partitioned} example: a text split over N partition servers, and a client that sends
 * one request to all of them and merges the answers — a scatter-gather, as a query engine does over
 * its shards. It then takes the first answer of any replica for a value every server holds, and
 * finally stops one partition to show its failure reported by node id, not swallowed.
 */
final class Partitioned {
  static final Set<String> FLAGS = Set.of("servers", "codecs");

  /** Counts the lines of a partition that contain {@code word}. */
  record CountWord(String word) {}

  /** One partition's count. */
  record WordCount(String word, long lines, long linesInPartition) {}

  /** Asks for a setting every server holds the same copy of. */
  record GetSetting(String name) {}

  /** A setting, and which server answered. */
  record Setting(String name, String value, long answeredBy) {}

  static final MessageTypes TYPES =
      MessageTypes.builder("partitioned")
          .register(1, "wc.CountWord", CountWord.class)
          .register(2, "wc.WordCount", WordCount.class)
          .register(3, "wc.GetSetting", GetSetting.class)
          .register(4, "wc.Setting", Setting.class)
          .build();

  /** The text the partitions share out, line by line. */
  private static final List<String> TEXT =
      List.of(
          "a tether holds two things together over a distance",
          "the controller streams its log to every replica",
          "a replica that falls behind asks the controller for the log again",
          "the stream processor shuffles records between its workers",
          "each worker owns a partition of the keys",
          "the query fans out to every partition and merges the answers",
          "a partition that is down is reported, not ignored",
          "the WAL receiver accepts one sender at a time",
          "a restarted sender replaces the stale one",
          "heartbeats tell a dead peer from a quiet one",
          "the log is the truth and the replicas follow it",
          "every partition answers for the keys it owns");

  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private Partitioned() {}

  /** Starts the server of partition {@code node} of {@code partitions}. */
  static Server<Object, Object> partition(long node, int partitions, List<String> codecs) {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < TEXT.size(); i++) {
      if (i % partitions == node - 1) {
        lines.add(TEXT.get(i));
      }
    }
    return Tether.server(TYPES)
        .config(TetherConfig.builder().codecs(codecs).nodeId(node).build())
        .onRequest(
            CountWord.class,
            (connection, count) ->
                new WordCount(
                    count.word(),
                    lines.stream()
                        .filter(line -> Arrays.asList(line.split(" ")).contains(count.word()))
                        .count(),
                    lines.size()))
        .onRequest(
            GetSetting.class,
            (connection, get) -> new Setting(get.name(), "replication=async", node))
        .bind(new InetSocketAddress("127.0.0.1", 0));
  }

  static int run(Args args, PrintStream out, PrintStream err) throws InterruptedException {
    int partitions = args.integer("servers", 3, 1, 64);
    List<String> codecs = Main.codecs(args, TYPES);
    List<Server<Object, Object>> servers = new ArrayList<>();
    PeerAddresses addresses = new PeerAddresses();
    List<Long> nodes = new ArrayList<>();
    try {
      for (long node = 1; node <= partitions; node++) {
        Server<Object, Object> server = partition(node, partitions, codecs);
        servers.add(server);
        addresses.put(node, server.address());
        nodes.add(node);
      }
      out.println("servers  " + partitions + " partitions: " + addresses);
      try (PeerPool<Object, Object> pool =
          Tether.client(TYPES)
              .config(TetherConfig.builder().codecs(codecs).nodeId(100).build())
              .peerPool(addresses)) {
        countWord(pool, nodes, "the", out);

        Replies<Long, Setting> first =
            pool.requestAll(nodes, new GetSetting("mode"), Setting.class, Quorum.first(), TIMEOUT)
                .join()
                .orThrow();
        Setting setting = first.values().get(0);
        out.println(
            "first    "
                + setting.name()
                + " = "
                + setting.value()
                + ", the first of "
                + partitions
                + " replicas to answer was node "
                + setting.answeredBy()
                + "; the others were not waited for: "
                + first.unanswered());

        if (partitions > 1) {
          long down = partitions;
          servers.get(partitions - 1).close();
          out.println("down     partition " + down + " stopped");
          countWord(pool, nodes, "the", out);
        }
      }
    } finally {
      servers.forEach(Server::close);
    }
    return 0;
  }

  /** Asks every partition how many of its lines hold {@code word}, and merges the counts. */
  private static void countWord(
      PeerPool<Object, Object> pool, List<Long> nodes, String word, PrintStream out) {
    Replies<Long, WordCount> counts =
        pool.requestAll(nodes, new CountWord(word), WordCount.class, Quorum.all(), TIMEOUT).join();
    long total = counts.values().stream().mapToLong(WordCount::lines).sum();
    String perNode =
        new TreeMap<>(counts.successes())
            .entrySet().stream()
                .map(e -> "node " + e.getKey() + ": " + e.getValue().lines())
                .collect(Collectors.joining(", "));
    if (counts.isSatisfied()) {
      out.println(
          "gather   '"
              + word
              + "' is in "
              + total
              + " lines across all "
              + nodes.size()
              + " partitions ("
              + perNode
              + ")");
      return;
    }
    out.println(
        "gather   incomplete: '"
            + word
            + "' is in at least "
            + total
            + " lines ("
            + perNode
            + "); "
            + counts.failures().size()
            + " partition(s) failed");
    for (Map.Entry<Long, Throwable> failure : counts.failures().entrySet()) {
      out.println(
          "         node " + failure.getKey() + " failed: " + failure.getValue().getMessage());
    }
    for (Long node : counts.unanswered()) {
      out.println("         node " + node + " did not answer");
    }
  }
}
