#!/usr/bin/env bash
# Runs the benchmarks and writes bench/results/<timestamp>/{codec,transport}.json, summary.md and
# summary.png. --quick: a reduced parameter set with short iterations, a few minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=false
case "${1:-}" in
  --quick) quick=true ;;
  "") ;;
  *) echo "usage: bench/run.sh [--quick]" >&2; exit 2 ;;
esac

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

# -prof gc on every run: it reads the GC counters between iterations and costs the benchmark little;
# the summary's allocation table comes from it.
common=(-prof gc -rf json)
if $quick; then
  codec_args=(-f 1 -wi 1 -w 1s -i 2 -r 1s -p message=small,medium)
  transport_args=(-f 1 -wi 1 -w 1s -i 2 -r 1s -p codec=bytes,json,fury -p connections=1,4
    -p size=64,1024 -p handlers=pool,loop)
  echo "quick run: about 6 minutes on 2 cores"
else
  codec_args=()
  transport_args=()
  echo "full run: about 40 minutes (codecs ~10, throughput ~22, latency ~5, JVM forks)"
fi

echo "codec benchmarks -> $out/codec.json"
java -jar "$jar" 'dev.tether.bench.codec.*' "${common[@]}" -rff "$out/codec.json" "${codec_args[@]}"
echo "transport benchmarks -> $out/transport.json"
java -jar "$jar" 'dev.tether.bench.(throughput|latency).*' "${common[@]}" -rff "$out/transport.json" \
  "${transport_args[@]}"

java -cp "$jar" dev.tether.bench.report.Report "$out" "$machine" "$out/codec.json" "$out/transport.json"
echo "summary: $out/summary.md"
