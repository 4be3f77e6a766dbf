package dev.tether.bench.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import tools.jackson.databind.JsonNode;

/**
 * The samples of a two-JVM run ({@code dev.tether.bench.twojvm.TwoJvmRun}'s JSON), with lookups by
 * point, contender and round, and ratios computed round by round.
 */
final class TwoJvmResults {
  /** Where in the plan a sample was taken; the raw contender's codec is {@code none}. */
  record Key(String workload, String codec, int connections, String contender) {}

  /**
   * One measurement.
   *
   * @param metrics p50, p90, p99, p999 (µs) for latency workloads; rate (messages/s) otherwise;
   *     with thread statistics also {@code cpu.server.<threads>} and {@code cpu.client.<threads>},
   *     the CPU time (ns) a group of threads spent per message ({@link #threadGroup})
   * @param failure why the measurement does not count, or null
   * @param warmupMillis how long the warm-up took
   * @param settled false if the warm-up ended at its maximum, the figure still improving
   */
  record Sample(
      int round,
      Key key,
      Map<String, Double> metrics,
      String failure,
      double warmupMillis,
      boolean settled) {}

  /** A point of the plan for Tether: workload, codec, connections. */
  record Point(String workload, String codec, int connections) {
    Key of(String contender) {
      return new Key(workload, contender.equals("RAW") ? "none" : codec, connections, contender);
    }

    /** The raw and Netty baselines of a request() point are the DATA round trip's. */
    Key baseline(String contender) {
      String w = workload.equals("REQUEST") ? "ROUND_TRIP" : workload;
      return new Point(w, codec, connections).of(contender);
    }
  }

  private final JsonNode settings;
  private final List<Sample> samples;

  private TwoJvmResults(JsonNode settings, List<Sample> samples) {
    this.settings = settings;
    this.samples = samples;
  }

  /** Returns results without samples, for a report of JMH results alone. */
  static TwoJvmResults empty() {
    return new TwoJvmResults(
        tools.jackson.databind.node.JsonNodeFactory.instance.objectNode(), List.of());
  }

  /** Returns true if {@code root} is a two-JVM result file. */
  static boolean accepts(JsonNode root) {
    return root.isObject() && "two-jvm".equals(root.path("kind").asString(""));
  }

  static TwoJvmResults read(JsonNode root) {
    List<Sample> samples = new ArrayList<>();
    for (JsonNode s : root.path("samples")) {
      String workload = s.path("workload").asString();
      Key key =
          new Key(
              workload,
              s.path("codec").asString(),
              s.path("connections").asInt(),
              s.path("contender").asString());
      Map<String, Double> metrics = new LinkedHashMap<>();
      if (workload.equals("ROUND_TRIP")
          || workload.equals("PLAIN_ROUND_TRIP")
          || workload.equals("REQUEST")) {
        JsonNode latency = s.path("client").path("latency");
        for (String p : List.of("p50", "p90", "p99", "p999")) {
          metrics.put(p, latency.path(p).asDouble(Double.NaN));
        }
      } else {
        JsonNode side = workload.equals("ONE_WAY") ? s.path("server") : s.path("client");
        metrics.put("rate", side.path("perSecond").asDouble(Double.NaN));
      }
      cpuPerMessage(s.path("server").path("threadStats"), "cpu.server.", metrics);
      cpuPerMessage(s.path("client").path("threadStats"), "cpu.client.", metrics);
      JsonNode failure = s.get("failure");
      samples.add(
          new Sample(
              s.path("round").asInt(),
              key,
              metrics,
              failure == null || failure.isNull() ? null : failure.asString(),
              s.path("client").path("warmupMillis").asDouble(Double.NaN),
              s.path("client").path("settled").asBoolean(true)));
    }
    return new TwoJvmResults(root.path("settings"), samples);
  }

  /**
   * Adds the CPU time each group of a side's threads spent per message during the measurement, in
   * nanoseconds, as {@code prefix + group}.
   */
  private static void cpuPerMessage(JsonNode stats, String prefix, Map<String, Double> metrics) {
    double messages = stats.path("messages").asDouble(0);
    if (messages <= 0) {
      return;
    }
    Map<String, Double> millis = new LinkedHashMap<>();
    for (JsonNode t : stats.path("threads")) {
      String group = threadGroup(t.path("name").asString(""));
      if (group != null) {
        millis.merge(group, t.path("cpuMillis").asDouble(0), Double::sum);
      }
    }
    millis.forEach((group, ms) -> metrics.put(prefix + group, ms * 1e6 / messages));
  }

  /**
   * The group a thread's CPU time is counted in, by its name as Linux keeps it (15 characters): its
   * name without the number that tells threads of a kind apart ({@code tether-loop-3} is a {@code
   * tether-loop}), {@code GC} for the collector's threads, {@code main} for {@code java}; null for
   * the JIT's and the harness's own threads, which do no work per message.
   */
  static String threadGroup(String name) {
    if (name.startsWith("C1 Compiler")
        || name.startsWith("C2 Compiler")
        || name.equals("server-meter")
        || name.startsWith("VM ")
        || name.equals("Signal Dispatch")
        || name.equals("Reference Handl")
        || name.equals("Finalizer")
        || name.equals("Common-Cleaner")
        || name.equals("Attach Listener")) {
      return null;
    }
    if (name.startsWith("GC Thread") || name.startsWith("G1 ")) {
      return "GC";
    }
    if (name.equals("java")) {
      return "main";
    }
    if (name.startsWith("multiThreadIoEv") || name.startsWith("nioEventLoopGro")) {
      return "netty-loop";
    }
    String group = name.replaceAll("[-#]?[0-9]*$", "").replaceAll("-$", "");
    return group.isEmpty() ? name : group;
  }

  /**
   * Returns each thread group's median over rounds of its CPU time per message at {@code key} on
   * {@code side} (server or client), the busiest first.
   */
  Map<String, Double> cpuMedians(Key key, String side) {
    String prefix = "cpu." + side + ".";
    Set<String> groups = new LinkedHashSet<>();
    for (Sample s : samples) {
      if (s.key().equals(key) && s.failure() == null) {
        for (String metric : s.metrics().keySet()) {
          if (metric.startsWith(prefix)) {
            groups.add(metric.substring(prefix.length()));
          }
        }
      }
    }
    Map<String, Double> medians = new LinkedHashMap<>();
    groups.stream()
        .map(g -> Map.entry(g, cpu(key, side, g).median()))
        .sorted(
            Map.Entry.<String, Double>comparingByValue()
                .reversed()
                .thenComparing(Map.Entry.comparingByKey()))
        .forEach(e -> medians.put(e.getKey(), e.getValue()));
    return medians;
  }

  /**
   * Returns the spread over rounds of the CPU time per message of {@code group} on {@code side}; a
   * round whose sample has thread statistics but not this group counts 0 (it was idle).
   */
  private Spread cpu(Key key, String side, String group) {
    String prefix = "cpu." + side + ".";
    List<Double> values = new ArrayList<>();
    for (Sample s : samples) {
      if (s.key().equals(key)
          && s.failure() == null
          && s.metrics().keySet().stream().anyMatch(m -> m.startsWith(prefix))) {
        values.add(s.metrics().getOrDefault(prefix + group, 0.0));
      }
    }
    return Spread.of(values);
  }

  boolean isEmpty() {
    return samples.isEmpty();
  }

  JsonNode settings() {
    return settings;
  }

  /** Returns the rounds that have samples, in order. */
  Set<Integer> rounds() {
    Set<Integer> rounds = new TreeSet<>();
    for (Sample s : samples) {
      rounds.add(s.round());
    }
    return rounds;
  }

  /** Returns the spread of the warm-up times of the samples that did not fail, in seconds. */
  Spread warmupSeconds() {
    return Spread.of(
        samples.stream()
            .filter(s -> s.failure() == null)
            .map(s -> s.warmupMillis() / 1e3)
            .toList());
  }

  /** Returns the samples whose warm-up reached its maximum before the figure settled. */
  List<Sample> unsettled() {
    return samples.stream().filter(s -> s.failure() == null && !s.settled()).toList();
  }

  /** Returns the failed samples. */
  List<Sample> failures() {
    return samples.stream().filter(s -> s.failure() != null).toList();
  }

  /** Returns the Tether points of {@code workload}, in the order they were measured. */
  List<Point> points(String workload) {
    Set<Point> points = new LinkedHashSet<>();
    for (Sample s : samples) {
      Key k = s.key();
      if (k.workload().equals(workload) && !k.codec().equals("none")) {
        points.add(new Point(k.workload(), k.codec(), k.connections()));
      }
    }
    return new ArrayList<>(points);
  }

  /** Returns {@code metric} of {@code key} in {@code round}, NaN if missing or failed. */
  double value(int round, Key key, String metric) {
    for (Sample s : samples) {
      if (s.round() == round && s.key().equals(key)) {
        return s.failure() != null ? Double.NaN : s.metrics().getOrDefault(metric, Double.NaN);
      }
    }
    return Double.NaN;
  }

  /** Returns the spread over rounds of {@code metric} at {@code key}. */
  Spread spread(Key key, String metric) {
    List<Double> values = new ArrayList<>();
    for (int round : rounds()) {
      values.add(value(round, key, metric));
    }
    return Spread.of(values);
  }

  /** Returns the spread over rounds of {@code a / b}, each round's ratio from that round. */
  Spread ratio(Key a, Key b, String metric) {
    List<Double> ratios = new ArrayList<>();
    for (int round : rounds()) {
      ratios.add(value(round, a, metric) / value(round, b, metric));
    }
    return Spread.of(ratios);
  }

  /** Returns true if any sample (failed or not) was taken at {@code key}. */
  boolean has(Key key) {
    return samples.stream().anyMatch(s -> Objects.equals(s.key(), key));
  }

  String setting(String name) {
    JsonNode n = settings.get(name);
    return n == null ? "?" : n.asString();
  }
}
