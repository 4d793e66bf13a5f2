#!/usr/bin/env bash
# DLA design-space sweep of issue 11 (not a test): kiln sweep of VWW, KWS and ResNet8 over
# pe x sram x par x dw (36 points each) on the instruction-set simulator, every point checked
# against the interpreter. Writes the CSVs and the sweep's SVG charts to bench/dla-sweep/ and
# rewrites only its own marked section of BENCHMARKS.md, with the wall time of the whole sweep.
#
#   bench/dla-sweep.sh [--jobs N]
#
# The MLPerf Tiny models are read from $KILN_SHARED/models/mlperf-tiny (default /work/shared).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/bench/section.sh"
cd "$ROOT"
SHARED="${KILN_SHARED:-/work/shared}"
JOBS="${2:-$(nproc)}"
OUT="$ROOT/bench/dla-sweep"
mkdir -p "$OUT"
"$ROOT/kiln" --help >/dev/null  # builds the jar outside the timed region
VARY=(--vary pe=64,128 --vary sram=512KiB,1MiB,256MiB --vary par=input,output --vary dw=unsupported,emulated,native)
start=$(date +%s.%N)
for m in vww_96_int8 kws_ref_model pretrainedResnet_quant; do
  "$ROOT/kiln" sweep "$SHARED/models/mlperf-tiny/$m.tflite" --target dla "${VARY[@]}" --jobs "$JOBS" \
    --csv "$OUT/$m.csv" --svg "$OUT/$m" > "$OUT/$m.txt" 2>/dev/null
done
end=$(date +%s.%N)
SECONDS_TOTAL=$(python3 -c "print(f'{$end - $start:.1f}')")

bench_machine
SECTION="$(mktemp)"
trap 'rm -f "$SECTION"' EXIT
python3 "$ROOT/bench/dla-sweep/section.py" "$OUT" "$DATE" "$COMMIT" "$CPU_MODEL" "$CPUS" "$JOBS" "$SECONDS_TOTAL" > "$SECTION"
write_section dla-sweep "$SECTION" "$ROOT/BENCHMARKS.md"
