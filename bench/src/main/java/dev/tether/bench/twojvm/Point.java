package dev.tether.bench.twojvm;

import java.util.ArrayList;
import java.util.List;

/**
 * One thing measured for several contenders: a workload, a codec and a number of connections.
 *
 * @param contenders who is measured at this point, in the order of the first round
 */
record Point(Workload workload, String codec, int connections, List<Contender> contenders) {
  /** The codec name the raw contender reports: it moves pre-encoded frames. */
  static final String NO_CODEC = "none";

  Point {
    contenders = List.copyOf(contenders);
  }

  /** Returns the codec {@code contender} uses at this point. */
  String codecOf(Contender contender) {
    return contender == Contender.RAW ? NO_CODEC : codec;
  }

  /**
   * Returns the contenders in the order of round {@code round}: rotated, to spread order effects.
   */
  List<Contender> order(int round) {
    List<Contender> order = new ArrayList<>(contenders);
    java.util.Collections.rotate(order, -(round % Math.max(1, order.size())));
    return order;
  }

  String describe() {
    return workload.label() + " " + codec + " ×" + connections;
  }

  /**
   * Lays out the points: every workload by codec by connection count. Raw sockets have no codec, so
   * they are measured once per workload and connection count, beside the first codec.
   */
  static List<Point> plan(
      List<Workload> workloads,
      List<Contender> contenders,
      List<String> latencyCodecs,
      List<String> echoCodecs,
      List<String> oneWayCodecs,
      List<String> plainCodecs,
      List<Integer> connections) {
    List<Point> points = new ArrayList<>();
    for (Workload workload : workloads) {
      List<String> codecs =
          switch (workload) {
            case ROUND_TRIP, REQUEST -> latencyCodecs;
            case ECHO -> echoCodecs;
            case PLAIN_ROUND_TRIP, PLAIN_ECHO -> plainCodecs;
            case ONE_WAY -> oneWayCodecs;
          };
      List<Integer> counts = workload.isLatency() ? List.of(1) : connections;
      for (int count : counts) {
        for (int i = 0; i < codecs.size(); i++) {
          List<Contender> here = new ArrayList<>();
          for (Contender c : contenders) {
            if (c.runs(workload) && (c != Contender.RAW || i == 0)) {
              here.add(c);
            }
          }
          if (!here.isEmpty()) {
            points.add(new Point(workload, codecs.get(i), count, here));
          }
        }
      }
    }
    return points;
  }
}
