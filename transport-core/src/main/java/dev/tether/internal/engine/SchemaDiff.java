package dev.tether.internal.engine;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Says how two schema texts (PROTOCOL.md §6) differ, in words short enough for a GOAWAY reason:
 * which ids carry other names, which ids and nested classes only one side has.
 */
final class SchemaDiff {
  /** At most this many differences are named; the rest are counted. */
  private static final int MAX_NAMED = 6;

  private SchemaDiff() {}

  static String describe(String clientText, String serverText) {
    Map<String, String> client = new LinkedHashMap<>();
    Set<String> clientNested = new LinkedHashSet<>();
    parse(clientText, client, clientNested);
    Map<String, String> server = new LinkedHashMap<>();
    Set<String> serverNested = new LinkedHashSet<>();
    parse(serverText, server, serverNested);

    List<String> differences = new ArrayList<>();
    for (Map.Entry<String, String> e : client.entrySet()) {
      String other = server.get(e.getKey());
      if (other == null) {
        differences.add("only the client has " + e.getKey() + "=" + e.getValue());
      } else if (!other.equals(e.getValue())) {
        differences.add(
            "id "
                + e.getKey()
                + " is '"
                + e.getValue()
                + "' on the client, '"
                + other
                + "' on the server");
      }
    }
    for (Map.Entry<String, String> e : server.entrySet()) {
      if (!client.containsKey(e.getKey())) {
        differences.add("only the server has " + e.getKey() + "=" + e.getValue());
      }
    }
    List<String> clientOnly = new ArrayList<>(clientNested);
    clientOnly.removeAll(serverNested);
    List<String> serverOnly = new ArrayList<>(serverNested);
    serverOnly.removeAll(clientNested);
    clientOnly.forEach(n -> differences.add("only the client registers nested " + n));
    serverOnly.forEach(n -> differences.add("only the server registers nested " + n));
    if (differences.isEmpty() && !clientNested.equals(serverNested)) {
      differences.add("nested classes are registered in another order");
    }
    if (differences.isEmpty()) {
      return "the schema texts differ";
    }
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < differences.size() && i < MAX_NAMED; i++) {
      text.append(i == 0 ? "" : "; ").append(differences.get(i));
    }
    if (differences.size() > MAX_NAMED) {
      text.append("; and ").append(differences.size() - MAX_NAMED).append(" more");
    }
    return text.toString();
  }

  private static void parse(String text, Map<String, String> types, Set<String> nested) {
    String[] lines = text.split("\n");
    for (int i = 1; i < lines.length; i++) { // the first line is the app protocol
      String line = lines[i];
      int eq = line.indexOf('=');
      if (eq <= 0) {
        continue;
      }
      String key = line.substring(0, eq);
      String value = line.substring(eq + 1);
      if (key.equals("nested")) {
        nested.add(value);
      } else {
        types.put(key, value);
      }
    }
  }
}
