/**
 * JMH benchmarks of Tether, each measured in the same run as its baselines: the raw-socket limit
 * and Netty for the transport, the serialization library called directly for the codecs. {@code
 * report} turns JMH's JSON into the summary table and chart.
 */
package dev.tether.bench;
