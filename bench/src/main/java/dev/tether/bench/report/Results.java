package dev.tether.bench.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;
import tools.jackson.databind.JsonNode;

/** The rows of a JMH JSON result file, with lookups by benchmark and parameters. */
final class Results {
  private final List<Result> rows;
  private final JsonNode first;

  private Results(List<Result> rows, JsonNode first) {
    this.rows = rows;
    this.first = first;
  }

  /** Reads the rows of JMH JSON result files, already parsed. */
  static Results of(List<JsonNode> roots) {
    List<Result> rows = new ArrayList<>();
    JsonNode first = null;
    for (JsonNode root : roots) {
      if (first == null && !root.isEmpty()) {
        first = root.get(0);
      }
      read(root, rows);
    }
    return new Results(rows, first);
  }

  private static void read(JsonNode root, List<Result> rows) {
    for (JsonNode node : root) {
      String full = node.get("benchmark").asString();
      String[] parts = full.split("\\.");
      String name = parts[parts.length - 2] + "." + parts[parts.length - 1];
      Map<String, String> params = new LinkedHashMap<>();
      JsonNode p = node.get("params");
      if (p != null) {
        for (var e : p.properties()) {
          params.put(e.getKey(), e.getValue().asString());
        }
      }
      JsonNode primary = node.get("primaryMetric");
      Map<String, Double> percentiles = new LinkedHashMap<>();
      JsonNode pct = primary.get("scorePercentiles");
      if (pct != null) {
        for (var e : pct.properties()) {
          percentiles.put(e.getKey(), e.getValue().asDouble());
        }
      }
      double alloc = Double.NaN;
      JsonNode secondary = node.get("secondaryMetrics");
      if (secondary != null) {
        for (var e : secondary.properties()) {
          if (e.getKey().endsWith("gc.alloc.rate.norm")) {
            alloc = e.getValue().get("score").asDouble();
          }
        }
      }
      JsonNode error = primary.get("scoreError");
      rows.add(
          new Result(
              name,
              params,
              primary.get("score").asDouble(),
              error == null || !error.isNumber() ? Double.NaN : error.asDouble(),
              primary.get("scoreUnit").asString(),
              percentiles,
              alloc));
    }
  }

  List<Result> of(String benchmark) {
    return of(benchmark, r -> true);
  }

  List<Result> of(String benchmark, Predicate<Result> match) {
    return rows.stream().filter(r -> r.benchmark().equals(benchmark)).filter(match).toList();
  }

  Optional<Result> find(String benchmark, Predicate<Result> match) {
    return rows.stream().filter(r -> r.benchmark().equals(benchmark)).filter(match).findFirst();
  }

  static Predicate<Result> with(String param, String value) {
    return r -> Objects.equals(r.param(param), value);
  }

  /** Describes how JMH ran: forks, iterations, JVM. */
  String runSettings() {
    if (first == null) {
      return "no results";
    }
    return String.format(
        "JMH %s, %s forks, %s warm-up iterations of %s, %s measurement iterations of %s, %s %s%s",
        text("jmhVersion"),
        text("forks"),
        text("warmupIterations"),
        text("warmupTime"),
        text("measurementIterations"),
        text("measurementTime"),
        text("vmName"),
        text("jdkVersion"),
        forkFlags());
  }

  /** The flags JMH gave its forks, as ", flags `...`", or nothing if it gave none. */
  private String forkFlags() {
    JsonNode args = first.get("jvmArgs");
    if (args == null || !args.isArray() || args.isEmpty()) {
      return "";
    }
    StringBuilder flags = new StringBuilder();
    for (JsonNode arg : args) {
      flags.append(flags.length() == 0 ? "" : " ").append(arg.asString());
    }
    return ", flags `" + flags + "`";
  }

  private String text(String field) {
    JsonNode n = first.get(field);
    return n == null ? "?" : n.asString();
  }

  boolean isEmpty() {
    return rows.isEmpty();
  }
}
