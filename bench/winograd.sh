#!/usr/bin/env bash
# Winograd benchmark (not a test): ResNet8 (pretrainedResnet_quant) compiled with the direct
# kernel and with --winograd, x86-64 instructions per inference of each 3x3 stride-1 convolution
# (callgrind, per generated layer function) and of the whole network, and the bytes the
# transformed filters take. Writes the marked winograd section of BENCHMARKS.md.
#
#   bench/winograd.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/bench/section.sh"
cd "$ROOT"
source "$ROOT/.mvn/jdk.sh"
JAVA="$KILN_JDK/bin/java"
SHARED="${KILN_SHARED:-/work/shared}"
MODEL="$SHARED/models/mlperf-tiny/pretrainedResnet_quant.tflite"
N=10
# Layer functions must stay functions for per-layer counts.
FLAGS="-std=c99 -O2 -fno-inline-functions-called-once -fno-inline-small-functions"
for tool in gcc valgrind callgrind_annotate; do
  command -v "$tool" >/dev/null || { echo "bench/winograd.sh: $tool not found" >&2; exit 2; }
done
bench_jar
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

declare -A TOTAL
for v in direct winograd; do
  extra=""; [[ $v == winograd ]] && extra="--winograd"
  # shellcheck disable=SC2086
  "$JAVA" -jar "$JAR" compile "$MODEL" -o "$WORK/$v" --no-object-sizes $extra >/dev/null
  # shellcheck disable=SC2086
  (cd "$WORK/$v" && gcc $FLAGS -I. -o bench kiln_model.c kiln_weights.c "$ROOT/bench/bench_main.c" -lm)
  valgrind --tool=callgrind --callgrind-out-file="$WORK/$v.cg" "$WORK/$v/bench" count $N >/dev/null 2>&1
  callgrind_annotate --inclusive=yes --threshold=100 "$WORK/$v.cg" 2>/dev/null \
    | sed -n 's/^ *\([0-9,]*\) ([^)]*) *[^:]*:\(kiln_l[0-9]*_conv2d[a-z_]*\).*/\2 \1/p' | tr -d , \
    > "$WORK/$v.layers"
  a=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$WORK/$v/bench" count 1 2>&1 | sed -n 's/.*Collected : //p')
  b=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$WORK/$v/bench" count 3 2>&1 | sed -n 's/.*Collected : //p')
  TOTAL[$v]=$(( (b - a) / 2 ))
done

ROWS=()
while read -r fn ir; do
  layer="${fn#kiln_l}"; layer="${layer%%_*}"
  w=$(awk -v l="kiln_l${layer}_conv2d_winograd" '$1 == l {print $2}' "$WORK/winograd.layers")
  [[ -z "$w" ]] && continue
  shape=$(sed -n "s|^/\* Layer $layer: Conv2D \(.*\) \*/|\1|p" "$WORK/direct/kiln_model.c")
  d=$(( ir / N )); wi=$(( w / N ))
  ROWS+=("| $layer | \`$shape\` | $d | $wi | $(awk -v a="$d" -v b="$wi" 'BEGIN {printf "%.2f×", a / b}') |")
done < "$WORK/direct.layers"
TABLE_BYTES=$(grep -o 'static const int16_t kiln_l[0-9]*_winograd_u\[[0-9]*\]' "$WORK/winograd/kiln_model.c" \
  | sed 's/.*\[\([0-9]*\)\]/\1/' | awk '{t += 2 * $1} END {print t + 0}')
DIRECT_W=$(sed -n 's/^#define KILN_WEIGHT_BYTES \([0-9]*\)/\1/p' "$WORK/direct/kiln_model.h")
WINO_W=$(sed -n 's/^#define KILN_WEIGHT_BYTES \([0-9]*\)/\1/p' "$WORK/winograd/kiln_model.h")

DATE="$(date -u '+%Y-%m-%d %H:%M UTC')"
COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet 2>/dev/null || echo '+changes')"
SECTION="$WORK/section.md"
{
  echo "<!-- winograd.sh begin -->"
  echo "## Winograd F(2x2, 3x3) against the direct kernel on ResNet8 (issue 15)"
  echo
  echo "Produced by \`bench/winograd.sh\` on $DATE (commit $COMMIT), $(lscpu | sed -n 's/^Model name: *//p' | head -1),"
  echo "$(gcc --version | head -1), \`gcc $FLAGS\` (layer functions kept out of line so callgrind"
  echo "can count each), $N inferences on fixed pseudo-random inputs. x86-64 instructions per inference of"
  echo "each 3x3 stride-1 convolution of \`pretrainedResnet_quant\` with the direct kernel (\`kiln compile\`)"
  echo "and with \`kiln compile --winograd\`; both give TFLM's outputs bit for bit (WinogradCodegenTest)."
  echo
  echo "| layer | shape (output <- input) | direct | Winograd | speed-up |"
  echo "|---:|---|---:|---:|---:|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "Whole network: $(( TOTAL[direct] )) instructions per inference direct, $(( TOTAL[winograd] )) with"
  echo "\`--winograd\` ($(awk -v a="${TOTAL[direct]}" -v b="${TOTAL[winograd]}" 'BEGIN {printf "%.2f×", a / b}')). Filter bytes: the transformed tables of the Winograd layers take"
  echo "$TABLE_BYTES bytes of .rodata (16 int16 values per 3x3 filter instead of 9 int8); the constant"
  echo "tensors left in \`kiln_weights.c\` drop from $DIRECT_W to $WINO_W bytes."
  echo "<!-- winograd.sh end -->"
} > "$SECTION"
BENCH="$ROOT/BENCHMARKS.md"
touch "$BENCH"
write_section winograd "$SECTION" "$BENCH"
