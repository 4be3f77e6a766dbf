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
   * @param metrics p50, p90, p99, p999 (µs) for latency workloads; rate (messages/s) otherwise
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
      if (workload.equals("ROUND_TRIP") || workload.equals("REQUEST")) {
        JsonNode latency = s.path("client").path("latency");
        for (String p : List.of("p50", "p90", "p99", "p999")) {
          metrics.put(p, latency.path(p).asDouble(Double.NaN));
        }
      } else {
        JsonNode side = workload.equals("ONE_WAY") ? s.path("server") : s.path("client");
        metrics.put("rate", side.path("perSecond").asDouble(Double.NaN));
      }
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
