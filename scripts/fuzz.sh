#!/usr/bin/env bash
# Fuzzes one target for real with Jazzer (JAZZER_FUZZ=1) for the given number of minutes.
#
#   scripts/fuzz.sh <target> <minutes>
#
# Targets: frame (FrameDecoder, arbitrary splits), handshake (HELLO, WELCOME, extensions, RESUME),
# json, cbor, kryo, fury (each codec's decode path through the Codec SPI), reused (the json codec's
# reused parser and PlainRecordReader against Jackson's own reader, value for value), writer (the
# json and cbor codecs' PlainRecordWriter against Jackson's generators, byte for byte), cborscan
# (the cbor codec's CborRecordScan against Jackson's own reader, value for value).
#
# Inputs that make a test fail are saved by Jazzer as regression inputs under the test class's
# <Class>Inputs/<method> resource directory, where `./mvnw verify` runs them from then on; commit
# them with the fix. The growing corpus lives in <module>/.cifuzz-corpus (ignored by git). The
# last libFuzzer status line (executions, coverage) is printed at the end and kept in
# <module>/target/fuzz-<target>.log.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  echo "usage: $0 <frame|handshake|json|cbor|kryo|fury|reused|writer|cborscan> <minutes>" >&2
  exit 2
}
[[ $# -eq 2 && $2 =~ ^[0-9]+$ && $2 -gt 0 ]] || usage

case "$1" in
  frame) module=transport-core test=dev.tether.internal.wire.FrameDecoderFuzzTest ;;
  handshake) module=transport-core test=dev.tether.internal.wire.HandshakeFuzzTest ;;
  json) module=codec-jackson test=dev.tether.codec.jackson.JsonDecodeFuzzTest ;;
  cbor) module=codec-jackson test=dev.tether.codec.jackson.CborDecodeFuzzTest ;;
  reused) module=codec-jackson test=dev.tether.codec.jackson.JsonReusedParserFuzzTest ;;
  writer) module=codec-jackson test=dev.tether.codec.jackson.PlainWriterFuzzTest ;;
  cborscan) module=codec-jackson test=dev.tether.codec.jackson.CborRecordScanFuzzTest ;;
  kryo) module=codec-kryo test=dev.tether.codec.kryo.KryoDecodeFuzzTest ;;
  fury) module=codec-fury test=dev.tether.codec.fury.FuryDecodeFuzzTest ;;
  *) usage ;;
esac
# The fury codec carries java.util.regex.Pattern values, as Fory does: decoding one compiles the
# peer's pattern, which Jazzer's regex-injection detector reports as soon as the call is in our
# code (StringValueSerializers). A pattern that does not compile fails to decode as a
# CodecException, which the harness checks; the detector stays on for every other target.
hooks_off=()
if [[ $1 == fury ]]; then
  hooks_off=(-Djazzer.disabled_hooks=com.code_intelligence.jazzer.sanitizers.RegexInjection)
fi

log="$module/target/fuzz-$1.log"
mkdir -p "$module/target"
echo "fuzzing $1 ($test) for $2 minutes; log: $log"
# -am builds what the module needs (the test-jar's classes come from the reactor); only the one
# fuzz test runs, with Jazzer's hooks on. The duration: Jazzer's JUnit integration (0.24) takes it
# from the test's @FuzzTest(maxDuration), which a jazzer.max_duration property does not override;
# it appends the jazzer.internal.arg.N parameters (arg.0 stands for argv[0]) after its own
# libFuzzer flags, and libFuzzer keeps the last -max_total_time it is given.
status=0
JAZZER_FUZZ=1 ./mvnw -B -pl "$module" -am test \
  -Dtest="$test" -Dsurefire.failIfNoSpecifiedTests=false \
  -Djazzer.hooks=true -Djazzer.internal.arg.0=fuzz -Djazzer.internal.arg.1=-max_total_time=$(($2 * 60)) \
  ${hooks_off[@]+"${hooks_off[@]}"} -Dspotless.check.skip=true >"$log" 2>&1 || status=$?
grep -E '^#[0-9]+' "$log" | tail -1 || true
grep -E 'Tests run:|FAIL|Crash|crash-|ERROR\]' "$log" | tail -5 || true
exit $status
