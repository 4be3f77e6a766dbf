package dev.tether.bench.twojvm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A diagnostic: what every thread of this JVM did between two snapshots, read from {@code
 * /proc/self/task} (Linux only; elsewhere the snapshots are empty): CPU time, voluntary context
 * switches (the thread blocked: each is a later wake-up) and involuntary ones (it was preempted),
 * and the CPU it last ran on. Enabled with {@code --thread-stats}; it costs nothing in between.
 */
final class ThreadStats {
  /** One thread at one moment. */
  private record Thread(String name, long cpuTicks, long voluntary, long involuntary, int cpu) {}

  /** Clock ticks per second of utime and stime in /proc; 100 on every Linux that Java runs on. */
  private static final double TICKS_PER_SECOND = 100;

  private final Map<String, Thread> threads;

  private ThreadStats(Map<String, Thread> threads) {
    this.threads = threads;
  }

  /** Reads every thread of this JVM now. */
  static ThreadStats snapshot() {
    return snapshot(Path.of("/proc/self/task"));
  }

  /**
   * Returns the CPU time, in milliseconds, that the JIT compiler threads of process {@code pid}
   * have used so far; 0 if it cannot be read (not Linux, or the process ended).
   */
  static long compilerMillis(long pid) {
    long ticks = 0;
    for (Thread t : snapshot(pid).threads.values()) {
      if (t.name().startsWith("C1 CompilerThre") || t.name().startsWith("C2 CompilerThre")) {
        ticks += t.cpuTicks();
      }
    }
    return Math.round(ticks * 1000 / TICKS_PER_SECOND);
  }

  /** Reads every thread of process {@code pid} now; empty if it cannot (not Linux, or it ended). */
  static ThreadStats snapshot(long pid) {
    return snapshot(Path.of("/proc", Long.toString(pid), "task"));
  }

  private static ThreadStats snapshot(Path tasks) {
    Map<String, Thread> threads = new HashMap<>();
    if (!Files.isDirectory(tasks)) {
      return new ThreadStats(threads);
    }
    try (Stream<Path> list = Files.list(tasks)) {
      for (Path task : (Iterable<Path>) list::iterator) {
        Thread t = read(task);
        if (t != null) {
          threads.put(task.getFileName().toString(), t);
        }
      }
    } catch (IOException e) {
      // a thread ended while listing: keep what was read
    }
    return new ThreadStats(threads);
  }

  private static Thread read(Path task) {
    try {
      String stat = Files.readString(task.resolve("stat"));
      // the name is in parentheses and may hold spaces; the fields after it are numbered from 3
      String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (14, 15)
      int cpu = Integer.parseInt(f[36]); // processor (39)
      long voluntary = 0;
      long involuntary = 0;
      for (String line : Files.readAllLines(task.resolve("status"))) {
        if (line.startsWith("voluntary_ctxt_switches:")) {
          voluntary = Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
        } else if (line.startsWith("nonvoluntary_ctxt_switches:")) {
          involuntary = Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
        }
      }
      return new Thread(name, ticks, voluntary, involuntary, cpu);
    } catch (IOException | RuntimeException e) {
      return null; // the thread ended
    }
  }

  /**
   * Returns what each thread that was busy did since {@code before}, the busiest first: name,
   * cpuMillis, voluntary and involuntary context switches, the CPU it last ran on.
   */
  List<Map<String, Object>> since(ThreadStats before) {
    List<Map<String, Object>> busy = new ArrayList<>();
    for (Map.Entry<String, Thread> e : threads.entrySet()) {
      Thread now = e.getValue();
      Thread then =
          before.threads.getOrDefault(e.getKey(), new Thread(now.name(), 0, 0, 0, now.cpu()));
      long ticks = now.cpuTicks() - then.cpuTicks();
      long voluntary = now.voluntary() - then.voluntary();
      long involuntary = now.involuntary() - then.involuntary();
      if (ticks == 0 && voluntary + involuntary < 10) {
        continue;
      }
      Map<String, Object> t = new LinkedHashMap<>();
      t.put("name", now.name());
      t.put("cpuMillis", Math.round(ticks * 1000 / TICKS_PER_SECOND));
      t.put("voluntary", voluntary);
      t.put("involuntary", involuntary);
      t.put("lastCpu", now.cpu());
      busy.add(t);
    }
    busy.sort((a, b) -> Long.compare((Long) b.get("cpuMillis"), (Long) a.get("cpuMillis")));
    return busy;
  }
}
