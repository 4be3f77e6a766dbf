/** Turns JMH's JSON results into {@code summary.md} (ratios to the baselines) and a chart. */
package dev.tether.bench.report;
