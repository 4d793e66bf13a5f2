#!/usr/bin/env bash
# CPU benchmark of Kiln's generated C (not a test): for each MLPerf Tiny int8 model and the
# built-in examples it measures compile time, code size, arena against its lower bound, host
# latency and x86-64 instructions per inference, and writes BENCHMARKS.md at the repository root.
#
#   bench/cpu.sh [--quick]      (--quick: fewer repetitions, for trying the script out)
#
# Needs gcc, size (binutils) and valgrind; the MLPerf Tiny models are read from
# $KILN_SHARED/models/mlperf-tiny (default /work/shared) and skipped when absent.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/bench/section.sh"
cd "$ROOT"
source "$ROOT/.mvn/jdk.sh"
JAVA="$KILN_JDK/bin/java"
SHARED="${KILN_SHARED:-/work/shared}"
MODELS_DIR="$SHARED/models/mlperf-tiny"
QUICK=0
[[ "${1:-}" == "--quick" ]] && QUICK=1

REPS=21          # timing repetitions (median reported)
INFERENCES=100   # inferences per repetition
COMPILES=5       # whole-process compiles (median reported)
WARM=10          # in-process compiles after warm-up (median reported)
N1=1; N2=3       # callgrind runs: instructions per inference = (I(N2) - I(N1)) / (N2 - N1)
if (( QUICK )); then REPS=3; INFERENCES=10; COMPILES=1; WARM=2; fi

for tool in gcc size valgrind; do
  command -v "$tool" >/dev/null || { echo "bench/cpu.sh: $tool not found" >&2; exit 2; }
done

bench_jar
CLASSES="$ROOT/target/bench-classes"
mkdir -p "$CLASSES"
"$KILN_JDK/bin/javac" -d "$CLASSES" -cp "$JAR" "$ROOT/bench/CompileBench.java"
CP="$JAR:$CLASSES"

# Whole-process compiles go through `kiln compile` when the CLI has it.
if "$JAVA" -jar "$JAR" --help 2>/dev/null | grep -Eq '^ +compile '; then
  COMPILE_HOW="./kiln compile MODEL --target cpu -o OUT (java -jar target/kiln.jar; includes the default passes and the report's gcc -O2 build of the objects for their section sizes)"
  compile_once() { "$JAVA" -jar "$JAR" compile "$1" --target cpu -o "$2" >/dev/null; }
else
  COMPILE_HOW="java -cp target/kiln.jar:target/bench-classes CompileBench gen MODEL OUT (kiln compile is not on this branch)"
  compile_once() { "$JAVA" -cp "$CP" CompileBench gen "$1" "$2" >/dev/null; }
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# TFLM reference kernels (gcc -O2) on these machines, from issue 3.
declare -A TFLM_INSTR=([kws]=206700000 [vww]=579200000 [ic]=869700000 [ad]=2520000)
declare -A TFLM_ARENA=([kws]=24000 [vww]=103392 [ic]=55712 [ad]=3424)

MODELS=()
for pair in "kws:kws_ref_model.tflite" "vww:vww_96_int8.tflite" "ic:pretrainedResnet_quant.tflite" \
            "ad:ad01_int8.tflite"; do
  f="$MODELS_DIR/${pair#*:}"
  if [[ -f "$f" ]]; then MODELS+=("${pair%%:*}:$f"); else echo "skipping missing $f" >&2; fi
done
MODELS+=("ds_cnn:builtin:ds_cnn" "resnet:builtin:resnet")

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# Sums the named sections of the objects (SysV `size -A`); .rodata includes .rodata.* parts.
section() {
  local sec="$1"; shift
  size -A "$@" | awk -v s="$sec" '$1 == s || index($1, s ".") == 1 {t += $2} END {print t + 0}'
}

instructions() {  # binary -> instructions per inference
  local exe="$1" a b
  a=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$exe" count $N1 2>&1 \
    | sed -n 's/.*Collected : //p')
  b=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$exe" count $N2 2>&1 \
    | sed -n 's/.*Collected : //p')
  echo $(( (b - a) / (N2 - N1) ))
}

declare -A FLAGS=([native]="-std=c99 -O3 -march=native" [base]="-std=c99 -O3")
ROWS1=(); ROWS2=(); ROWS3=()
for entry in "${MODELS[@]}"; do
  key="${entry%%:*}"; model="${entry#*:}"
  echo "== $key ($model)" >&2
  out="$WORK/$key"
  facts="$("$JAVA" -cp "$CP" CompileBench gen "$model" "$out")"
  eval "$(echo "$facts" | tr ' ' '\n' | sed 's/^/F_/')"

  times=()
  for ((i = 0; i < COMPILES; i++)); do
    rm -rf "$WORK/c"; t0=$(date +%s%N); compile_once "$model" "$WORK/c"; t1=$(date +%s%N)
    times+=("$(( (t1 - t0) / 1000000 ))")
  done
  whole_ms=$(printf '%s\n' "${times[@]}" | median)
  warm_ms=$("$JAVA" -cp "$CP" CompileBench warm "$model" "$WARM" "$WORK/warm" | sed 's/warm_ms=//')
  rm -rf "$WORK/warm"

  extra=""; (( F_float_input )) && extra="-DKILN_BENCH_FLOAT_INPUT"
  declare -A LAT=() INS=() TEXT=()
  for v in native base; do
    # shellcheck disable=SC2086
    (cd "$out" && gcc ${FLAGS[$v]} -c -o model_$v.o kiln_model.c \
      && gcc ${FLAGS[$v]} -c -o weights_$v.o kiln_weights.c \
      && gcc ${FLAGS[$v]} $extra -I. -o bench_$v model_$v.o weights_$v.o "$ROOT/bench/bench_main.c" -lm)
    TEXT[$v]=$(section .text "$out/model_$v.o" "$out/weights_$v.o")
    LAT[$v]=$("$out/bench_$v" time "$REPS" "$INFERENCES" | awk '{print $2}')
    INS[$v]=$(instructions "$out/bench_$v")
  done
  rodata=$(section .rodata "$out/model_base.o" "$out/weights_base.o")
  bss=$(section .bss "$out/model_base.o" "$out/weights_base.o")
  io=$(( F_input_bytes + F_output_bytes ))

  ROWS1+=("| $key | $(awk -v m="$F_macs" 'BEGIN {printf "%.3f M", m / 1e6}') | $whole_ms | $warm_ms | ${TEXT[base]} / ${TEXT[native]} | $rodata | $bss | $F_weights |")
  tflm_arena="${TFLM_ARENA[$key]:-}"
  ROWS2+=("| $key | $F_arena | $F_lower_bound | $(( F_arena - F_lower_bound )) | $(( F_arena + io )) | $F_lower_bound_io | ${tflm_arena:-n/a} |")
  tflm="${TFLM_INSTR[$key]:-}"
  if [[ -n "$tflm" ]]; then
    r_n=$(awk -v t="$tflm" -v k="${INS[native]}" 'BEGIN {printf "%.1f×", t / k}')
    r_b=$(awk -v t="$tflm" -v k="${INS[base]}" 'BEGIN {printf "%.1f×", t / k}')
    met_n=$(awk -v t="$tflm" -v k="${INS[native]}" 'BEGIN {print (t >= 20 * k) ? "yes" : "**no**"}')
    met_b=$(awk -v t="$tflm" -v k="${INS[base]}" 'BEGIN {print (t >= 20 * k) ? "yes" : "**no**"}')
    tflm_m=$(awk -v t="$tflm" 'BEGIN {printf "%.2f M", t / 1e6}')
  else
    r_n="n/a"; r_b="n/a"; met_n=""; met_b=""; tflm_m="n/a"
  fi
  fmt_m() { awk -v k="$1" 'BEGIN {printf "%.3f M", k / 1e6}'; }
  fmt_us() { awk -v n="$1" 'BEGIN {printf "%.1f", n / 1e3}'; }
  per_mac() { awk -v k="$1" -v m="$F_macs" 'BEGIN {printf "%.2f", (m > 0) ? k / m : 0}'; }
  ROWS3+=("| $key | $(fmt_us "${LAT[native]}") | $(fmt_us "${LAT[base]}") | $(fmt_m "${INS[native]}") ($(per_mac "${INS[native]}")/MAC) | $(fmt_m "${INS[base]}") ($(per_mac "${INS[base]}")/MAC) | $tflm_m | $r_n${met_n:+ ($met_n)} | $r_b${met_b:+ ($met_b)} |")
  unset LAT INS TEXT
done

CPU_MODEL="$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
CPUS="$(nproc)"
GCC_VERSION="$(gcc --version | head -1)"
VALGRIND_VERSION="$(valgrind --version)"
JAVA_VERSION="$("$JAVA" -version 2>&1 | head -1)"
DATE="$(date -u '+%Y-%m-%d %H:%M UTC')"
COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet 2>/dev/null || echo '+changes')"

# bench/plan.sh's and bench/cortexm.sh's marked sections are not ours to rewrite: keep them and
# append them back.
PLAN_SECTION=""
CORTEXM_SECTION=""
if [[ -f "$ROOT/BENCHMARKS.md" ]]; then
  PLAN_SECTION="$(sed -n '/^<!-- plan.sh begin -->$/,/^<!-- plan.sh end -->$/p' "$ROOT/BENCHMARKS.md")"
  CORTEXM_SECTION="$(sed -n '/^<!-- cortexm.sh begin -->$/,/^<!-- cortexm.sh end -->$/p' "$ROOT/BENCHMARKS.md")"
fi
# Likewise the sections of bench/kws.sh, bench/winograd.sh and bench/deploy.sh.
KWS_SECTION=""
if [[ -f "$ROOT/BENCHMARKS.md" ]]; then
  for script in kws winograd deploy; do
    part="$(sed -n "/^<!-- $script.sh begin -->\$/,/^<!-- $script.sh end -->\$/p" "$ROOT/BENCHMARKS.md")"
    if [[ -n "$part" ]]; then KWS_SECTION+="${KWS_SECTION:+$'\n\n'}$part"; fi
  done
fi

{
  cat <<EOF
# Benchmarks: Kiln CPU code generation

Written by \`bench/cpu.sh\`$( (( QUICK )) && echo ' --quick (reduced repetitions: not for quoting)'); do not edit by hand. Date: $DATE, commit $COMMIT.

Command: \`bench/cpu.sh\` from the repository root.

Machine: $CPU_MODEL, $CPUS cores available; $GCC_VERSION; $VALGRIND_VERSION; $JAVA_VERSION.

Models: the MLPerf Tiny int8 models (kws = \`kws_ref_model.tflite\`, vww = \`vww_96_int8.tflite\`,
ic = \`pretrainedResnet_quant.tflite\` (ResNet8), ad = \`ad01_int8.tflite\`) and the built-in
examples \`builtin:ds_cnn\` and \`builtin:resnet\`.

## Instructions per inference and latency

The generated library (\`kiln_model.c\`, \`kiln_weights.c\`) is built with gcc \`-std=c99 -O3 -march=native\`
(this machine has AVX2) and with plain \`-std=c99 -O3\` (x86-64 baseline, SSE2 only), linked with
\`bench/bench_main.c\`. Latency: median over $REPS repetitions of $INFERENCES back-to-back inferences,
per inference (\`clock_gettime\`, fixed pseudo-random input). Instructions: \`valgrind --tool=callgrind\`
of the driver running $N2 and $N1 inferences; the difference divided by $((N2 - N1)) removes start-up.
TFLM: TensorFlow Lite Micro's reference kernels, gcc -O2, figures from issue 3. The target is
at least 20× fewer instructions than TFLM.

| model | latency µs (-march=native) | latency µs (-O3 baseline) | instructions (-march=native) | instructions (-O3 baseline) | TFLM | TFLM / Kiln (native) | TFLM / Kiln (baseline) |
|---|---:|---:|---:|---:|---:|---:|---:|
EOF
  printf '%s\n' "${ROWS3[@]}"
  cat <<EOF

## Memory: arena against its lower bound and against TFLM

Kiln's arena holds only intermediate activations: inputs and outputs stay in the caller's
buffers. *lower bound* is the most bytes live at one step among the values Kiln puts in the
arena (\`io.kiln.plan.memory.LowerBound\`, 4-byte alignment). The like-for-like comparison with
TFLM's \`arena_used_bytes\` (whose arena also holds the model's input and output tensors) is
*arena + I/O* = Kiln arena + input bytes + output bytes; *lower bound with I/O* is the bound
when inputs and outputs are counted as arena tensors. TFLM's figure also includes its own
bookkeeping, so it is not a pure activation count.

| model | Kiln arena (B) | lower bound (B) | arena − bound | Kiln arena + I/O (B) | lower bound with I/O (B) | TFLM arena_used_bytes |
|---|---:|---:|---:|---:|---:|---:|
EOF
  printf '%s\n' "${ROWS2[@]}"
  cat <<EOF

## Compile time and code size

Compile, whole process: median of $COMPILES runs of $COMPILE_HOW, wall clock, JVM start-up
included. Warm: median of $WARM compiles (model load + code generation + writing the files) in one
JVM after 3 unmeasured ones (\`CompileBench warm\`). Code size: \`size -A\` of the two objects
(\`kiln_model.o\` + \`kiln_weights.o\`): .text for the baseline / -march=native builds; .rodata
(weights, multiplier tables) and .bss (the arena) of the baseline build. Weights: bytes of the
constant tensors. Every conv/FC kernel also uses a small stack buffer (the int16 input patch
and the int32 accumulators; the size is in a comment at the top of each generated function).

| model | MACs | compile, whole process (ms) | compile, warm (ms) | .text (B) baseline / native | .rodata (B) | .bss (B) | weights (B) |
|---|---:|---:|---:|---:|---:|---:|---:|
EOF
  printf '%s\n' "${ROWS1[@]}"
  if [[ -f "$ROOT/bench/NOTES.md" ]]; then
    echo
    cat "$ROOT/bench/NOTES.md"
  fi
  if [[ -n "$PLAN_SECTION" ]]; then
    echo
    printf '%s\n' "$PLAN_SECTION"
  fi
  if [[ -n "$KWS_SECTION" ]]; then
    echo
    printf '%s\n' "$KWS_SECTION"
  fi
  if [[ -n "$CORTEXM_SECTION" ]]; then
    echo
    printf '%s\n' "$CORTEXM_SECTION"
  fi
} > "$ROOT/BENCHMARKS.md"
echo "wrote $ROOT/BENCHMARKS.md" >&2
