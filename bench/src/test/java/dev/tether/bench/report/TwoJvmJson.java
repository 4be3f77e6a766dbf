package dev.tether.bench.report;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/** A two-JVM harness file for the report's tests: two rounds' settings and the given samples. */
final class TwoJvmJson {
  private TwoJvmJson() {}

  static Map<String, Object> root(List<Map<String, Object>> samples) {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("kind", "two-jvm");
    root.put(
        "settings",
        Map.of("rounds", 2, "warmupMillis", 100, "maxWarmupMillis", 100, "measureMillis", 100));
    root.put("samples", samples);
    return root;
  }

  /** Writes {@link #root} of {@code samples} to {@code file}, creating its folder; returns it. */
  static Path write(Path file, List<Map<String, Object>> samples) throws Exception {
    Files.createDirectories(file.getParent());
    JsonMapper.builder().build().writeValue(file.toFile(), root(samples));
    return file;
  }
}
