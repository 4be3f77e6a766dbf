package dev.tether.bench.twojvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class VerdictTest {
  private static final Map<String, Object> LATENCY = Map.of("p50", 20.0);

  @Test
  void acceptsAnEchoRunWhereEverythingArrivedAndCameBack() {
    assertThat(
            Verdict.check(
                Workload.ECHO,
                2,
                Map.of("sent", 100, "echoed", 100, "echoErrors", 0, "perSecond", 5e5),
                Map.of("received", 100, "errors", 0, "connections", 2)))
        .isNull();
  }

  @Test
  void rejectsAServerThatReceivedLessThanWasSent() {
    assertThat(
            Verdict.check(
                Workload.ONE_WAY,
                1,
                Map.of("sent", 100),
                Map.of("received", 99, "errors", 0, "connections", 1, "perSecond", 1e6)))
        .isEqualTo("the load generator sent 100 messages but the server received 99");
  }

  @Test
  void rejectsMessagesOutOfSequenceEvenIfTheCountIsRight() {
    assertThat(
            Verdict.check(
                Workload.ROUND_TRIP,
                1,
                Map.of("sent", 10, "echoed", 10, "echoErrors", 0, "latency", LATENCY),
                Map.of(
                    "received", 10,
                    "errors", 1,
                    "connections", 1,
                    "firstError", "expected message 4 but got 5")))
        .isEqualTo("server saw 1 messages out of sequence, first: expected message 4 but got 5");
  }

  @Test
  void rejectsEchoesThatDidNotAllComeBack() {
    assertThat(
            Verdict.check(
                Workload.ECHO,
                1,
                Map.of("sent", 100, "echoed", 90, "echoErrors", 0, "perSecond", 5e5),
                Map.of("received", 100, "errors", 0, "connections", 1)))
        .isEqualTo("sent 100 messages but 90 echoes came back");
  }

  @Test
  void rejectsAWorkloadWithoutAFigure() {
    assertThat(
            Verdict.check(
                Workload.ONE_WAY,
                1,
                Map.of("sent", 100),
                Map.of("received", 100, "errors", 0, "connections", 1)))
        .isEqualTo("no figure was measured (NaN)");
  }
}
