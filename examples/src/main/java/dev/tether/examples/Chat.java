package dev.tether.examples;

import dev.tether.BroadcastResult;
import dev.tether.Connection;
import dev.tether.ConnectionGroup;
import dev.tether.MessageTypes;
import dev.tether.Server;
import dev.tether.Tether;
import dev.tether.TetherConfig;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The {@code chat} example: a room where every line one member says is broadcast to all — encoded
 * once, whatever the number of members. Then one member stops reading while the server floods the
 * room: that member alone is back-pressured and misses announcements, the others hear every one,
 * and no broadcast ever waits.
 */
final class Chat {
  static final Set<String> FLAGS = Set.of("clients", "lines", "flood", "codecs");

  /** What a member says. */
  record Say(String text) {}

  /** What the room tells every member: who said what. */
  record Said(String from, String text) {}

  static final MessageTypes TYPES =
      MessageTypes.builder("chat")
          .register(1, "chat.Say", Say.class)
          .register(2, "chat.Said", Said.class)
          .build();

  /**
   * Each member's outbound bound: a quarter of a second of the flood, so a member that reads is
   * never back-pressured by a pause of its own, while one that stops is within seconds.
   */
  private static final int ROOM_QUEUE_BYTES = 1024 * 1024;

  private static final Duration STEP_TIMEOUT = Duration.ofSeconds(20);

  /** The flood's rate, 4 MB/s per member: far below what a member that reads can take. */
  private static final int FLOOD_PER_SECOND = 4000;

  private Chat() {}

  /** A member of the room: counts what it hears; a lurker stops reading after a few lines. */
  private static final class Member implements AutoCloseable {
    final String name;
    final long nodeId;
    final AtomicLong heard = new AtomicLong();
    final Connection<Say, Said> connection;
    private final CountDownLatch wakeUp = new CountDownLatch(1);

    Member(String name, long nodeId, boolean lurker, Server<Said, Say> room, List<String> codecs) {
      this.name = name;
      this.nodeId = nodeId;
      TetherConfig.Builder config = TetherConfig.builder().codecs(codecs).nodeId(nodeId);
      if (lurker) {
        config.maxQueuedInboundMessages(8); // it stops reading as soon as 8 lines wait
      }
      this.connection =
          Tether.<Say, Said>client(TYPES)
              .config(config.build())
              .onMessage(
                  (c, said) -> {
                    heard.incrementAndGet();
                    if (lurker) {
                      wakeUp.await(); // a member whose handler is stuck: it stops reading
                    }
                  })
              .connect(room.address());
    }

    @Override
    public void close() {
      wakeUp.countDown();
      connection.close();
    }
  }

  static int run(Args args, PrintStream out, PrintStream err) throws InterruptedException {
    int clients = args.integer("clients", 4, 1, 1000);
    int lines = args.integer("lines", 5, 0, 1_000_000);
    int flood = args.integer("flood", 8000, 0, 10_000_000);
    List<String> codecs = Main.codecs(args, TYPES);

    ConnectionGroup<Said, Say> room = new ConnectionGroup<>();
    try (Server<Said, Say> server =
        Tether.<Said, Say>server(TYPES)
            .config(
                TetherConfig.builder()
                    .codecs(codecs)
                    .maxQueuedOutboundBytes(ROOM_QUEUE_BYTES)
                    .build())
            .onConnection(room::add)
            .onMessage(Say.class, (from, say) -> room.broadcast(new Said(nameOf(from), say.text())))
            .bind(new InetSocketAddress("127.0.0.1", 0))) {
      List<Member> members = new ArrayList<>();
      try {
        for (int i = 1; i <= clients; i++) {
          members.add(new Member("member-" + i, i, false, server, codecs));
        }
        awaitMembers(room, clients);
        out.println(
            "room     "
                + clients
                + " members joined "
                + EchoServer.hostPort(server.address())
                + ", codec "
                + members.get(0).connection.peer().codec());
        chat(members, lines, out);
        if (flood > 0) {
          Member lurker = new Member("lurker", clients + 1L, true, server, codecs);
          members.add(lurker);
          awaitMembers(room, clients + 1);
          flood(room, members, lurker, flood, out);
        }
      } finally {
        members.forEach(Member::close);
      }
    }
    return 0;
  }

  private static String nameOf(Connection<Said, Say> member) {
    long id = member.peer().nodeId();
    return id == 0 ? EchoServer.hostPort(member.peer().address()) : "member-" + id;
  }

  private static void awaitMembers(ConnectionGroup<Said, Say> room, int count)
      throws InterruptedException {
    long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
    while (room.size() < count) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "only " + room.size() + " of " + count + " members joined in time");
      }
      TimeUnit.MILLISECONDS.sleep(5);
    }
  }

  /** Every member says {@code lines} lines; every member must hear every line. */
  private static void chat(List<Member> members, int lines, PrintStream out)
      throws InterruptedException {
    for (int line = 1; line <= lines; line++) {
      for (Member member : members) {
        member.connection.send(new Say("line " + line + " from " + member.name));
      }
    }
    long expected = (long) lines * members.size();
    long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
    for (Member member : members) {
      while (member.heard.get() < expected) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              member.name + " heard " + member.heard + " of " + expected + " lines");
        }
        TimeUnit.MILLISECONDS.sleep(5);
      }
    }
    out.println(
        "chat     "
            + members.size()
            + " members said "
            + lines
            + " lines each; every member heard all "
            + expected
            + " (one broadcast per line, encoded once)");
  }

  /**
   * The server broadcasts {@code count} announcements of 1 KiB at a steady rate while the lurker
   * does not read. A broadcast never waits: a member whose queue is full misses that announcement,
   * and the result says who. Prints what each member heard and missed.
   */
  private static void flood(
      ConnectionGroup<Said, Say> room,
      List<Member> members,
      Member lurker,
      int count,
      PrintStream out)
      throws InterruptedException {
    String news = "x".repeat(1024);
    Map<Long, Long> heardBefore = new HashMap<>();
    members.forEach(m -> heardBefore.put(m.nodeId, m.heard.get()));
    Map<Long, Long> accepted = new HashMap<>();
    Map<Long, Long> missed = new HashMap<>();
    long firstMissedByLurker = -1;
    long slowestNanos = 0;
    long intervalNanos = TimeUnit.SECONDS.toNanos(1) / FLOOD_PER_SECOND;
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      LockSupport.parkNanos(start + i * intervalNanos - System.nanoTime()); // a steady rate
      long before = System.nanoTime();
      BroadcastResult<Said, Say> result = room.broadcast(new Said("server", news));
      slowestNanos = Math.max(slowestNanos, System.nanoTime() - before);
      for (Connection<Said, Say> member : result.accepted()) {
        accepted.merge(member.peer().nodeId(), 1L, Long::sum);
      }
      for (Connection<Said, Say> member : result.backPressured()) {
        missed.merge(member.peer().nodeId(), 1L, Long::sum);
        if (member.peer().nodeId() == lurker.nodeId && firstMissedByLurker < 0) {
          firstMissedByLurker = i;
        }
      }
    }
    out.printf(
        "flood    %d announcements of 1 KiB at %d/s while %s stopped reading;"
            + " slowest broadcast call %.2f ms%n",
        count, FLOOD_PER_SECOND, lurker.name, slowestNanos / 1e6);
    for (Member member : members) {
      if (member != lurker) { // what was queued for it arrives: wait for it before counting
        awaitHeard(
            member, heardBefore.get(member.nodeId) + accepted.getOrDefault(member.nodeId, 0L));
      }
      out.printf(
          "         %-9s heard %d, missed %d%s%n",
          member.name,
          member.heard.get() - heardBefore.get(member.nodeId),
          missed.getOrDefault(member.nodeId, 0L),
          member == lurker && firstMissedByLurker >= 0
              ? " (back-pressured from announcement " + firstMissedByLurker + " on)"
              : "");
    }
  }

  private static void awaitHeard(Member member, long count) throws InterruptedException {
    long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
    while (member.heard.get() < count) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            member.name + " heard " + member.heard + " of the " + count + " lines queued for it");
      }
      TimeUnit.MILLISECONDS.sleep(5);
    }
  }
}
