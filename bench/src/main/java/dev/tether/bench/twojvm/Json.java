package dev.tether.bench.twojvm;

import java.util.Map;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/** One-line JSON for the results the child processes print and the harness reads. */
final class Json {
  private static final ObjectMapper MAPPER = JsonMapper.builder().build();

  private Json() {}

  static String write(Object value) {
    return MAPPER.writeValueAsString(value);
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> read(String json) {
    return MAPPER.readValue(json, Map.class);
  }

  static ObjectMapper mapper() {
    return MAPPER;
  }
}
