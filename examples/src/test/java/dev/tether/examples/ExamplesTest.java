package dev.tether.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Each cluster example run for real, in this JVM, with small flags: it must succeed and say what
 * the README promises it shows. ({@link ShadedJarIT} runs them again from the jar, by the README's
 * commands.)
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ExamplesTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private String run(String... args) {
    int status =
        Main.run(
            args,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    String output = out.toString(StandardCharsets.UTF_8);
    assertThat(status).as("exit status; stdout:%n%s%nstderr:%n%s", output, err).isZero();
    return output;
  }

  @Test
  void rpcShowsTypedRequestsATimeoutAFailingHandlerAndAnOlderSchemaRefused() {
    String output = run("rpc", "--requests", "300", "--concurrency", "8");

    assertThat(output.lines())
        .anyMatch(l -> l.startsWith("get      300 typed requests, 8 in flight: all answered"))
        .contains(
            "failing  Get(missing) -> request failed at peer (HANDLER_FAILED): no key 'missing'")
        .anyMatch(
            l -> l.startsWith("timeout  Slow(k1, 1000 ms) with a 100 ms timeout -> no response"))
        .contains("         the connection stays up: Get(k1) -> Value[key=k1, value=v1]")
        .anyMatch(
            l ->
                l.startsWith("schema   a client with an older schema is refused")
                    && l.contains("APP_PROTOCOL_MISMATCH")
                    && l.contains("id 3 is 'kv.Result' on the client, 'kv.Value' on the server")
                    && l.contains("only the server has 4=kv.Slow"));
  }

  @Test
  void chatBroadcastsEveryLineToEveryMemberAndReportsTheMemberThatStoppedReading() {
    String output = run("chat", "--clients", "3", "--lines", "2", "--flood", "8000");

    assertThat(output.lines())
        .anyMatch(l -> l.startsWith("room     3 members joined"))
        .contains(
            "chat     3 members said 2 lines each; every member heard all 6 (one broadcast per"
                + " line, encoded once)")
        .anyMatch(l -> l.startsWith("flood    8000 announcements of 1 KiB at 4000/s"))
        .anyMatch(l -> l.matches(" {9}member-1 +heard \\d+, missed \\d+"))
        .anyMatch(
            l ->
                l.matches(
                    " {9}lurker +heard \\d+, missed [1-9]\\d* \\(back-pressured from"
                        + " announcement \\d+ on\\)"));
  }

  @Test
  void partitionedMergesTheAnswersOfEveryPartitionAndNamesTheOneThatIsDown() {
    String output = run("partitioned", "--servers", "3");

    assertThat(output.lines())
        .contains(
            "gather   'the' is in 9 lines across all 3 partitions (node 1: 1, node 2: 4, node 3:"
                + " 4)",
            "down     partition 3 stopped")
        .anyMatch(l -> l.startsWith("first    mode = replication=async, the first of 3"))
        .anyMatch(l -> l.startsWith("gather   incomplete: 'the' is in at least 5 lines"))
        .anyMatch(l -> l.startsWith("         node 3 failed: "));
  }

  @Test
  void peersSurviveAPeerMovingToANewPort() {
    String output = run("peers", "--peers", "2");

    assertThat(output.lines())
        .anyMatch(l -> l.startsWith("ping     node 1 on port ") && l.contains("node 2 on port"))
        .contains("stop     node 2 stopped")
        .anyMatch(l -> l.startsWith("ping     node 2 failed: ") && l.contains("not trying again"))
        .anyMatch(l -> l.startsWith("move     node 2 is back on 127.0.0.1:"))
        .anyMatch(l -> l.startsWith("ping     node 2 answered from port "));
  }

  @Test
  void singleClientReplacesTheStaleSenderWhichIsToldWhy() {
    String output = run("single-client", "--records", "50");

    assertThat(output.lines())
        .contains("sender 1 streamed records 1..50 and is still connected")
        .anyMatch(
            l ->
                l.startsWith("sender 1 was replaced: connection closed by peer (REPLACED):")
                    && l.contains("replaced by a newer client")
                    && l.contains("(node 2)"))
        .contains(
            "sender 2 resumed at record 51 and streamed up to 100; the receiver holds records"
                + " 1..100");
  }
}
