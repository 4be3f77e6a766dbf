package dev.tether.bench.report;

import java.util.Map;

/**
 * One JMH result row.
 *
 * @param benchmark the class and method, e.g. {@code TetherThroughput.oneWay}
 * @param params the JMH parameters
 * @param score the primary score
 * @param error the primary score's error (99.9% interval half-width), NaN if unknown
 * @param unit the score's unit
 * @param percentiles sample-time percentiles by their JMH key ("50.0", "99.9", ...)
 * @param allocBytesPerOp {@code gc.alloc.rate.norm} if the GC profiler ran, else NaN
 */
record Result(
    String benchmark,
    Map<String, String> params,
    double score,
    double error,
    String unit,
    Map<String, Double> percentiles,
    double allocBytesPerOp) {

  String param(String name) {
    return params.getOrDefault(name, "");
  }

  double percentile(String key) {
    return percentiles.getOrDefault(key, Double.NaN);
  }
}
