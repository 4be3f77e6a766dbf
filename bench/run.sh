#!/usr/bin/env bash
# Runs the benchmarks and writes bench/results/<timestamp>/: the two-JVM figures (twojvm.json: a
# server JVM and a load-generator JVM per measurement, as users deploy), the one-JVM JMH figures
# (codec.json, transport.json), summary.md and summary.png.
#   --quick: fewer points, 2 rounds, warm-ups of at most 8 s: 12-17 minutes on a busy 2-core machine.
#   default: every point, 4 rounds, warm-ups of at most 20 s: about 73 minutes on a shared 2-core
#   machine (60 of them the two-JVM part).
# Each two-JVM measurement warms up until its figure settles, so a busy machine takes longer, and
# records each thread's CPU time over its measurement: the summary's CPU-per-message table.
#   --compare DIR: also compares every two-JVM ratio with the run in DIR (its twojvm.json, which
#   stays on the machine that ran it): do two runs of the same settings agree within ±15%?
#   --two-jvm-only: skips the one-JVM JMH benchmarks (about 15 minutes of a default run), e.g. for a
#   second run to --compare with the first.
# Extra arguments after -- go to the two-JVM harness (dev.tether.bench.twojvm.TwoJvmRun), e.g.
#   bench/run.sh -- --rounds 7 --warmup-ms 3000
set -euo pipefail
cd "$(dirname "$0")/.."

quick=false
jmh=true
compare=()
extra=()
usage="usage: bench/run.sh [--quick] [--two-jvm-only] [--compare RESULTS-DIR] [-- two-JVM harness options]"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=true; shift ;;
    --two-jvm-only) jmh=false; shift ;;
    --compare)
      if [[ $# -lt 2 || ! -f $2/twojvm.json ]]; then
        echo "--compare needs a results directory with a twojvm.json in it" >&2; exit 2
      fi
      compare=("$2/twojvm.json"); shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done

jar=bench/target/benchmarks.jar
if [[ ! -f $jar ]]; then
  echo "building $jar"
  ./mvnw -B -q -pl bench -am package -DskipTests
fi

stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=bench/results/$stamp
mkdir -p "$out"
cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //' || true)
machine="$(nproc) cores${cpu:+ ($cpu)}, $(uname -s) $(uname -r), $(java -version 2>&1 | head -1)"
load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || true)
started=$(date +%s)

# -prof gc on every JMH run: it reads the GC counters between iterations and costs the benchmark
# little; the summary's allocation table comes from it. The forks get the two-JVM children's heap,
# touched at start: without it their first pass through the young generation pays a page fault per
# 4 KiB (Tether one-way bytes in one JVM on the 2-core VM: 3.0M ops/s without, 7.1M with).
common=(-prof gc -rf json -jvmArgsAppend "-Xms1g -Xmx1g -XX:+AlwaysPreTouch")
if $quick; then
  twojvm_args=(--quick --echo-codecs json --one-way-codecs bytes,json --thread-stats)
  codec_args=(-f 1 -wi 1 -w 1s -i 2 -r 1s -p message=small)
  transport_args=(-f 1 -wi 1 -w 1s -i 2 -r 1s -p codec=bytes,json -p connections=1 -p size=64
    -p handlers=default,loop -p session=plain,resumable)
  tls_args=(-f 1 -wi 1 -w 1s -i 2 -r 1s -p size=64,1024)
  echo "quick run: about 15 minutes on 2 cores, longer when the machine is busy"
else
  twojvm_args=(--thread-stats)
  codec_args=(-f 1 -wi 2 -w 1s -i 2 -r 1s)
  # the codecs of the two-JVM run; cbor and kryo are measured by the codec benchmarks
  transport_args=(-f 1 -wi 3 -w 1s -i 4 -r 1s -p codec=bytes,json,fury -p connections=1,4
    -p size=64,1024 -p handlers=default,loop -p session=plain,resumable)
  tls_args=(-f 1 -wi 2 -w 1s -i 3 -r 1s)
  echo "full run: about 73 minutes on 2 cores (60 of them two-JVM), longer when the machine is busy"
fi

# The two-JVM run goes first: it is the one users should read, and the machine is freshest.
echo "two-JVM benchmarks -> $out/twojvm.json"
java -cp "$jar" dev.tether.bench.twojvm.TwoJvmRun --out "$out/twojvm.json" \
  "${twojvm_args[@]}" ${extra[@]+"${extra[@]}"}
jmh_results=()
if $jmh; then
  echo "codec benchmarks (one JVM) -> $out/codec.json"
  java -jar "$jar" 'dev.tether.bench.codec.*' "${common[@]}" -rff "$out/codec.json" "${codec_args[@]}"
  echo "transport benchmarks (one JVM) -> $out/transport.json"
  java -jar "$jar" 'dev.tether.bench.(throughput|latency).*' "${common[@]}" \
    -rff "$out/transport.json" "${transport_args[@]}"
  echo "TLS benchmarks (one JVM) -> $out/tls.json"
  java -jar "$jar" 'dev.tether.bench.tls.*' "${common[@]}" -rff "$out/tls.json" "${tls_args[@]}"
  jmh_results=("$out/codec.json" "$out/transport.json" "$out/tls.json")
fi

minutes=$(( ($(date +%s) - started + 30) / 60 ))
java -cp "$jar" dev.tether.bench.report.Report "$out" \
  "$machine; load average before the run $load; the run took $minutes min" \
  "$out/twojvm.json" ${jmh_results[@]+"${jmh_results[@]}"} ${compare[@]+"${compare[@]}"}
echo "summary: $out/summary.md ($minutes min)"
