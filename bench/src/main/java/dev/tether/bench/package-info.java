/** JMH benchmarks of Tether against the raw-socket limit and Netty; arrive with issue 4. */
package dev.tether.bench;
