package dev.tether.bench.twojvm;

import java.util.Map;

/**
 * Decides whether a measurement counts: both ends ran to the end, every message arrived in order at
 * the server, and, where the server echoes, every echo came back in order.
 */
final class Verdict {
  private Verdict() {}

  /** Returns why the measurement does not count, or null if it does. */
  static String check(
      Workload workload, int connections, Map<String, Object> client, Map<String, Object> server) {
    if (client.get("error") != null) {
      return "load generator: " + client.get("error");
    }
    if (server.get("error") != null) {
      return "server: " + server.get("error");
    }
    long sent = count(client, "sent");
    long received = count(server, "received");
    if (sent <= 0) {
      return "the load generator sent nothing";
    }
    if (count(server, "errors") != 0) {
      return "server saw "
          + count(server, "errors")
          + " messages out of sequence, first: "
          + server.get("firstError");
    }
    if (received != sent) {
      return "the load generator sent " + sent + " messages but the server received " + received;
    }
    if (count(server, "connections") != connections) {
      return "expected "
          + connections
          + " connections, the server saw "
          + server.get("connections");
    }
    if (workload.echoes()) {
      if (count(client, "echoErrors") != 0) {
        return "load generator saw "
            + count(client, "echoErrors")
            + " echoes out of sequence, first: "
            + client.get("firstEchoError");
      }
      if (count(client, "echoed") != sent) {
        return "sent " + sent + " messages but " + count(client, "echoed") + " echoes came back";
      }
    }
    double rate =
        workload.isLatency()
            ? TwoJvmRun.number(TwoJvmRun.asMap(client.get("latency")), "p50")
            : TwoJvmRun.number(workload == Workload.ONE_WAY ? server : client, "perSecond");
    // 0 messages/s is a figure (everything stalled for the whole measurement); NaN is none
    if (Double.isNaN(rate) || rate < 0) {
      return "no figure was measured (" + rate + ")";
    }
    return null;
  }

  private static long count(Map<String, Object> map, String key) {
    return map.get(key) instanceof Number n ? n.longValue() : -1;
  }
}
