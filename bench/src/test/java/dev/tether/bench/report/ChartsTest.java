package dev.tether.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.CategoryChart;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The chart shows what a run measured and nothing else: a two-JVM run alone has no empty one-JVM
 * column, a contender left out of the run has no legend entry or gap, and the hot-path goals are
 * drawn where their bars are.
 */
class ChartsTest {
  @Test
  void aTwoJvmRunAloneIsOneColumnWithoutPanelsForWhatItDidNotMeasure() {
    Charts charts = new Charts(Results.of(List.of()), twoJvm("bytes", "TETHER", "NETTY", "RAW"));

    List<CategoryChart> panels = charts.panels();

    assertThat(charts.columns()).isEqualTo(1);
    assertThat(panels)
        .extracting(CategoryChart::getTitle)
        .hasSize(3)
        .allMatch(title -> title.startsWith("Two JVMs"));
    // a workload the run left out still says so, in its place in the column
    assertThat(panels.get(0).getTitle()).endsWith("(not measured)");
    assertThat(panels.get(1).getTitle()).doesNotContain("not measured");
  }

  @Test
  void onlyTheContendersTheRunMeasuredHaveBars() {
    List<CategoryChart> panels =
        new Charts(Results.of(List.of()), twoJvm("bytes", "TETHER", "NETTY", "RAW")).panels();

    assertThat(panels.get(1).getSeriesMap()).containsOnlyKeys("Tether", "Netty");
    assertThat(panels.get(2).getSeriesMap()).containsOnlyKeys("Tether");
  }

  @Test
  void theTransportGoalIsDrawnOnTheRawPanelAndTheAxisReachesIt() {
    List<CategoryChart> panels =
        new Charts(Results.of(List.of()), twoJvm("bytes", "TETHER", "NETTY", "RAW")).panels();

    CategoryChart raw = panels.get(1);
    assertThat(raw.getTitle()).endsWith("red line: goal for 1-way bytes, 0.5×");
    // Tether is at 0.2× raw here: without a stretched axis the line would be off the chart
    assertThat(raw.getStyler().getYAxisMax()).isGreaterThan(0.5);
    // the ÷ Netty goal is for json and fury: a bytes-only run gets no line there
    assertThat(panels.get(2).getTitle()).doesNotContain("goal");
  }

  @Test
  void theNettyGoalIsDrawnWhereJsonWasMeasured() {
    List<CategoryChart> panels =
        new Charts(Results.of(List.of()), twoJvm("json", "TETHER", "NETTY", "RAW")).panels();

    assertThat(panels.get(2).getTitle()).endsWith("red line: goal for json and fury, 1.5×");
    assertThat(panels.get(1).getTitle()).doesNotContain("goal");
  }

  @Test
  void aRunOfNeitherKindStillDrawsEveryPanelAndSaysNothingWasMeasured() {
    Charts charts = new Charts(Results.of(List.of()), TwoJvmResults.empty());

    assertThat(charts.columns()).isEqualTo(2);
    assertThat(charts.panels())
        .hasSize(6)
        .extracting(CategoryChart::getTitle)
        .allMatch(title -> title.endsWith("(not measured)"));
  }

  /** Two rounds of one-way {@code codec} ×1: Tether at 2M a second, Netty 1M, raw 10M. */
  private static TwoJvmResults twoJvm(String codec, String... contenders) {
    Map<String, Double> rates = Map.of("TETHER", 2.0e6, "NETTY", 1.0e6, "RAW", 10.0e6);
    List<Map<String, Object>> samples = new ArrayList<>();
    for (int round = 0; round < 2; round++) {
      for (String contender : contenders) {
        Map<String, Object> sample = new LinkedHashMap<>();
        sample.put("round", round);
        sample.put("contender", contender);
        sample.put("workload", "ONE_WAY");
        sample.put("codec", contender.equals("RAW") ? "none" : codec);
        sample.put("connections", 1);
        double rate = rates.get(contender);
        sample.put("client", Map.of("perSecond", rate, "warmupMillis", 100, "settled", true));
        sample.put("server", Map.of("perSecond", rate, "received", 1000));
        sample.put("failure", null);
        samples.add(sample);
      }
    }
    JsonNode node = JsonMapper.builder().build().valueToTree(TwoJvmJson.root(samples));
    return TwoJvmResults.read(node);
  }
}
