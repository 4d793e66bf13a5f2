#!/usr/bin/env bash
# Plans of the N:M pruned ResNet8 on DIANA's digital unit with sparse support switched on in a
# custom description (not a test): the float pretrainedResnet pruned by `kiln prune --layers
# conv3x3` at 1:4, 1:8 and 1:16 and quantized with power-of-two scales (`kiln quantize
# --per-channel --scales pow2`, which the shift-only digital array needs), against the dense
# model quantized the same way, on
#   1. diana with `sparsity: {formats: [1:4, 1:8, 1:16], offset_bits: 4, skip_zeros: true}` on
#      its digital unit (everything else the preset's), and
#   2. the same with the digital weight memory cut to 4 KiB and L1 to 32 KiB, where weights
#      decide the tiles;
# per accelerated layer: tile sizes, L1 and weight-memory reservation, weight bytes, weight and
# all DMA bytes, analytic cycles; per model: totals, whether every plan passed PlanChecker,
# WeightPlacementChecker and DeploymentChecker, and whether `kiln simulate`'s check of one seeded
# inference against the interpreter on the lowered graph matched. The 1:4 model is also compiled
# for description 2 (`kiln compile --target FILE.yaml`), built with gcc -Werror and run on 8
# seeded inputs, and compared with `kiln run --target` byte for byte.
#
#   bench/sparse-plan.sh [--write]     (default: print the tables)
#
# --write replaces the marked sparse-plan.sh section of BENCHMARKS.md (appending it when absent).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/bench/section.sh"
cd "$ROOT"
SHARED="${KILN_SHARED:-/work/shared}"
FLOAT="$SHARED/models/mlperf-tiny/pretrainedResnet.tflite"
WRITE=0
case "${1:-}" in
  --write) WRITE=1 ;;
  "") ;;
  *) echo "usage: bench/sparse-plan.sh [--write]" >&2; exit 2 ;;
esac
for tool in gcc python3; do
  command -v "$tool" >/dev/null || { echo "bench/sparse-plan.sh: $tool not found" >&2; exit 2; }
done
source "$ROOT/.mvn/jdk.sh"
JAR="$ROOT/target/kiln.jar"
if [[ ! -f "$JAR" || -n "$(find "$ROOT/src/main" "$ROOT/pom.xml" -newer "$JAR" -print -quit)" ]]; then
  "$ROOT/mvnw" -q -B -DskipTests package >&2
fi
"$ROOT/mvnw" -q -B test-compile >&2
DEPS="$("$ROOT/mvnw" -q -B dependency:build-classpath -Dmdep.outputFile=/dev/stdout)"
KILN=("$KILN_JDK/bin/java" -jar "$JAR")
CP="$ROOT/target/classes:$ROOT/target/test-classes:$DEPS"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# ---- the descriptions: the diana preset with the sparsity field on its digital unit ---------
"${KILN[@]}" target show diana > "$WORK/diana.yaml"
python3 - "$WORK" <<'PY'
import sys
w = sys.argv[1]
s = open(f"{w}/diana.yaml").read()
anchor = "    weight_layout: array_blocks\n"
assert anchor in s, "the diana preset has no digital weight_layout line"
block = ("    # Custom: N:M sparse weights, int8 values with 4-bit offsets; the array takes one\n"
         "    # group's N values a reduction step.\n"
         "    sparsity:\n      formats: [1:4, 1:8, 1:16]\n      offset_bits: 4\n      skip_zeros: true\n")
s = s.replace(anchor, anchor + block, 1)
open(f"{w}/diana-sparse.yaml", "w").write(s)
for old, new in (("    size: 256 KiB\n", "    size: 32 KiB\n"), ("        size: 64 KiB\n", "        size: 4 KiB\n")):
    assert s.count(old) == 1, old
    s = s.replace(old, new)
open(f"{w}/diana-sparse-small.yaml", "w").write(s)
PY

# ---- the models -------------------------------------------------------------------------------
"$KILN_JDK/bin/java" -cp "$CP" io.kiln.bench.SparseBench calib "$WORK/cal.bin" 32 0 255
"${KILN[@]}" quantize "$FLOAT" --calibration "$WORK/cal.bin" --per-channel --scales pow2 \
  -o "$WORK/dense.tflite" >/dev/null
MODELS=("dense=$WORK/dense.tflite")
for nm in 1:4 1:8 1:16; do
  t=${nm/:/x}
  "${KILN[@]}" prune "$FLOAT" --nm "$nm" --layers conv3x3 --calibration "$WORK/cal.bin" \
    -o "$WORK/r$t.f.tflite" >/dev/null
  "${KILN[@]}" quantize "$WORK/r$t.f.tflite" --calibration "$WORK/cal.bin" --per-channel --scales pow2 \
    -o "$WORK/r$t.tflite" >/dev/null
  MODELS+=("$nm=$WORK/r$t.tflite")
done

plans() { # description -> per-layer rows, then TOTALS and the totals rows
  "$KILN_JDK/bin/java" -cp "$CP" io.kiln.bench.SparsePlanBench "$1" digital "${MODELS[@]}"
}
plans "$WORK/diana-sparse.yaml" > "$WORK/full.txt"
plans "$WORK/diana-sparse-small.yaml" > "$WORK/small.txt"

# ---- the 1:4 model compiled for description 2, built and run against kiln run --target -----
SMALL=("--target" "$WORK/diana-sparse-small.yaml" "--policy" "digital")
"${KILN[@]}" compile "$WORK/r1x4.tflite" "${SMALL[@]}" -o "$WORK/c" >/dev/null
(cd "$WORK/c" && gcc -std=c99 -O2 -Wall -Wextra -Werror -I. -o kiln_host kiln_model.c kiln_weights.c \
  kiln_memories.c kiln_hal_host.c kiln_hal_host_dla.c main_host.c -lm)
python3 -c "import random; r = random.Random(7); open('$WORK/in.bin', 'wb').write(bytes(r.randrange(256) for _ in range(8 * 32 * 32 * 3)))"
"$WORK/c/kiln_host" --batch 8 --output-dir "$WORK/prog" "$WORK/in.bin"
"${KILN[@]}" run "$WORK/r1x4.tflite" "${SMALL[@]}" --input "$WORK/in.bin" --batch 8 --output-dir "$WORK/run" >/dev/null
if cmp -s "$WORK/prog/output0.bin" "$WORK/run/output0.bin"; then EXACT="identical"; else EXACT="DIFFERENT"; fi
echo "compiled 1:4 program vs kiln run --target: $EXACT" >&2

layers() { # rows file -> the per-layer table
  echo "| model | layer | K x C x FY x FX | tile | L1 B | weight memory B | weight layout | weight bytes | weight DMA B | all DMA B | cycles | util. |"
  echo "|---|---|---|---|---:|---:|---|---:|---:|---:|---:|---:|"
  sed '/^TOTALS$/,$d' "$1"
}
totals() {
  echo "| model | accelerated layers | weight bytes | DMA bytes | accelerator cycles | network cycles | PlanChecker + WeightPlacementChecker + DeploymentChecker | simulated = interpreter (1 seeded input) |"
  echo "|---|---:|---:|---:|---:|---:|---|---|"
  sed '1,/^TOTALS$/d' "$1"
}
{
  echo "### Stock sizes (256 KiB L1, 64 KiB digital weight memory) with sparse support on"
  echo
  totals "$WORK/full.txt"
  echo
  layers "$WORK/full.txt"
  echo
  echo "### The digital weight memory cut to 4 KiB and L1 to 32 KiB"
  echo
  totals "$WORK/small.txt"
  echo
  layers "$WORK/small.txt"
  echo
  echo "The 1:4 model compiled for the cut description (\`kiln compile --target FILE.yaml\`), built with"
  echo "gcc -Werror and run on the host HAL on 8 seeded inputs: outputs **$EXACT** to \`kiln run --target\`."
} > "$WORK/tables.md"
if (( WRITE )); then
  SECTION="$WORK/section.md"
  {
    echo "<!-- sparse-plan.sh begin -->"
    echo "## N:M sparsity on an accelerator: plans of the pruned ResNet8 on DIANA digital (issue 13)"
    echo
    echo "Written by \`bench/sparse-plan.sh --write\` (run from the repository root); do not edit by hand."
    echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet || echo '+changes')."
    echo
    cat "$WORK/tables.md"
    if [[ -f "$ROOT/bench/sparse-plan-notes.md" ]]; then
      echo
      cat "$ROOT/bench/sparse-plan-notes.md"
    fi
    echo "<!-- sparse-plan.sh end -->"
  } > "$SECTION"
  BENCH_MD="$ROOT/BENCHMARKS.md"
  touch "$BENCH_MD"
  write_section sparse-plan "$SECTION" "$BENCH_MD"
else
  cat "$WORK/tables.md"
fi
