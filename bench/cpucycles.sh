#!/usr/bin/env bash
# Calibration of the simulator's CPU cycle model (not a test): for each core and model it compiles
# the model for the core's board, builds it with bench/cpucycles/layer_main.c and
# -finstrument-functions on kiln_model.c, runs it under QEMU with -icount shift=0 and counts the
# instructions of every layer of the second of two inferences:
#   cortex-m3      mps2-an385, plain C kernels          qemu-system-arm, SysTick x 40
#   cortex-m4      mps2-an386, plain C kernels          qemu-system-arm, SysTick x 40
#   cortex-m4-dsp  mps2-an386, the DSP-extension ones   qemu-system-arm, SysTick x 40
#   rv32imc        riscv32-virt, plain C kernels        qemu-system-riscv32, minstret (exact)
# Then bench/CpuCalibrate.java fits, per core and kernel kind, instructions = overhead + per_unit
# x work by least squares on relative error, and writes the constants and the measurements
# to src/main/resources/io/kiln/sim/cpu/calibration.json, which io.kiln.sim.cpu.CpuCycleModel reads.
#
#   bench/cpucycles.sh [--cores rv32imc,...] [--models kws_ref_model,...] [--write]
#
# --write also replaces the marked cpucycles.sh section of BENCHMARKS.md. Needs
# arm-none-eabi-gcc (newlib), riscv64-unknown-elf-gcc (picolibc), qemu-system-arm and
# qemu-system-riscv32; the models are read from $KILN_SHARED/models (default
# /work/shared); a model is named by its file name without .tflite.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/bench/section.sh"
cd "$ROOT"
SHARED="${KILN_SHARED:-/work/shared}"
MODELS_DIR="$SHARED/models"
WRITE=0
ONLY_CORES=""
ONLY_MODELS=""
while (( $# )); do
  case "$1" in
    --write) WRITE=1 ;;
    --cores) ONLY_CORES="$2"; shift ;;
    --models) ONLY_MODELS="$2"; shift ;;
    *) echo "usage: bench/cpucycles.sh [--cores LIST] [--models LIST] [--write]" >&2; exit 2 ;;
  esac
  shift
done
for tool in arm-none-eabi-gcc arm-none-eabi-nm riscv64-unknown-elf-gcc riscv64-unknown-elf-nm \
    qemu-system-arm qemu-system-riscv32; do
  command -v "$tool" >/dev/null || { echo "bench/cpucycles.sh: $tool not found" >&2; exit 2; }
done
bench_jar
source "$ROOT/.mvn/jdk.sh"
KILN=("$KILN_JDK/bin/java" -jar "$JAR")
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# The int8 models of ../shared (MLPerf Tiny and the TFLM examples with int8 I/O) and the built-ins.
MODELS=(mlperf-tiny/kws_ref_model mlperf-tiny/pretrainedResnet_quant mlperf-tiny/ad01_int8
  mlperf-tiny/vww_96_int8 tflm/micro_speech/micro_speech_quantized tflm/person_detection/person_detect
  tflm/hello_world/hello_world_int8 builtin:ds_cnn builtin:resnet)
# calibration name : board : kiln target : counter unit in instructions
CORES=("cortex-m3:mps2-an385:cpu:40" "cortex-m4:mps2-an386:cpu:core=generic:40"
  "cortex-m4-dsp:mps2-an386:cpu:core=cortex-m4:40" "rv32imc:riscv32-virt:cpu:1")

MEASURED="$WORK/measured.tsv"
printf 'core\tmodel\tlayer\top\tkernel\tmacs\tinstructions\n' > "$MEASURED"
TOTALS=()
for spec in "${CORES[@]}"; do
  name=${spec%%:*}; rest=${spec#*:}; board=${rest%%:*}; rest=${rest#*:}
  unit=${rest##*:}; target=${rest%:*}
  [[ -z "$ONLY_CORES" || ",$ONLY_CORES," == *",$name,"* ]] || continue
  if [[ $board == riscv32-virt ]]; then
    cross=riscv64-unknown-elf-; qemu=(qemu-system-riscv32 -M virt -bios none)
  else
    cross=arm-none-eabi-; qemu=(qemu-system-arm -M "$board")
  fi
  stem=${board//-/_}
  for model in "${MODELS[@]}"; do
    short=${model##*/}; short=${short#builtin:}
    [[ -z "$ONLY_MODELS" || ",$ONLY_MODELS," == *",$short,"* ]] || continue
    src=$model; [[ $model == builtin:* ]] || src="$MODELS_DIR/$model.tflite"
    dir="$WORK/$name-$short"
    "${KILN[@]}" compile "$src" --target "$target" --board "$board" -o "$dir" \
      --json "$dir.json" --no-object-sizes >/dev/null
    flags=$(sed -n 's/^ARCH_FLAGS = //p' "$dir/Makefile.$board")
    # shellcheck disable=SC2086
    common=($flags -std=c99 -O2 -Wall -Wextra -Werror -ffunction-sections -fdata-sections -I"$dir")
    "${cross}gcc" "${common[@]}" -finstrument-functions \
      -finstrument-functions-exclude-file-list=kiln_dsp.h,kiln_mve.h,kiln_runtime.h,kiln_semihost.h \
      -finstrument-functions-exclude-function-list=_pixel -c -o "$dir/m.o" "$dir/kiln_model.c"
    "${cross}gcc" "${common[@]}" -o "$dir/bench.elf" "$dir/m.o" "$dir/kiln_weights.c" \
      "$ROOT/bench/cpucycles/layer_main.c" "$dir/startup_$stem.c" -nostartfiles \
      -T "$dir/$stem.ld" -Wl,--gc-sections -lm
    timeout 900 "${qemu[@]}" -nographic -semihosting-config enable=on,target=native \
      -icount shift=0 -kernel "$dir/bench.elf" > "$dir/events.txt" 2>&1
    "${cross}nm" "$dir/bench.elf" > "$dir/nm.txt"
    python3 - "$dir" "$dir.json" "$name" "$short" "$unit" >> "$MEASURED" <<'PY'
import json, re, sys
d, report, core, model, unit = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
names = {}
for l in open(d + "/nm.txt"):
    p = l.split()
    if len(p) == 3:
        names[int(p[0], 16) & ~1] = p[2]
layers = {l["index"]: l for l in json.load(open(report))["layers"]}
first, last = {}, {}
for l in open(d + "/events.txt"):
    p = l.split()
    if len(p) != 3 or p[0] not in ("enter", "exit"):
        continue
    m = re.match(r"kiln_l(\d+)_", names.get(int(p[1], 16), ""))
    if m:
        k, t = int(m.group(1)), int(p[2])
        first.setdefault(k, t)
        last[k] = t
for k in sorted(first):
    l = layers[k]
    print(f"{core}\t{model}\t{k}\t{l['op']}\t{l['kernel']}\t{l['macs']}\t{(last[k] - first[k]) * unit}")
PY
    total=$(( $(sed -n 's/^total //p' "$dir/events.txt") * unit ))
    mcycle=$(sed -n 's/^mcycle //p' "$dir/events.txt")
    layers=$(awk -F'\t' -v c="$name" -v m="$short" '$1 == c && $2 == m {s += $7} END {print s + 0}' "$MEASURED")
    # The same program without the hooks (as the board's makefile builds it), and once more with
    # the layer functions kept out of kiln_run, which is what the hooks do to the code.
    plain=()
    for extra in "" -fno-inline-functions-called-once; do
      # shellcheck disable=SC2086
      "${cross}gcc" "${common[@]}" $extra -o "$dir/plain.elf" "$dir/kiln_model.c" \
        "$dir/kiln_weights.c" "$ROOT/bench/cpucycles/layer_main.c" "$dir/startup_$stem.c" \
        -nostartfiles -T "$dir/$stem.ld" -Wl,--gc-sections -lm
      plain+=($(( $(timeout 900 "${qemu[@]}" -nographic -semihosting-config enable=on,target=native \
        -icount shift=0 -kernel "$dir/plain.elf" 2>&1 | sed -n 's/^total //p') * unit )))
    done
    TOTALS+=("| $name | $short | $layers | $total | ${plain[0]} | ${plain[1]} | ${mcycle} |")
    echo "$name $short: layers $layers, instrumented $total, plain ${plain[*]}${mcycle:+, mcycle $mcycle}" >&2
  done
done
# CPUCYCLES_TSV=FILE keeps the raw per-layer counts (for looking at them, not used by the fit).
[[ -z "${CPUCYCLES_TSV:-}" ]] || cp "$MEASURED" "$CPUCYCLES_TSV"
mkdir -p "$WORK/classes"
"$KILN_JDK/bin/javac" -d "$WORK/classes" -cp "$JAR" "$ROOT/bench/CpuCalibrate.java"
OUT_JSON="$ROOT/src/main/resources/io/kiln/sim/cpu/calibration.json"
[[ -z "$ONLY_CORES$ONLY_MODELS" ]] || OUT_JSON="$WORK/calibration.json"
"$KILN_JDK/bin/java" -cp "$JAR:$WORK/classes" CpuCalibrate "$MEASURED" "$SHARED/models" \
  "$OUT_JSON" "$WORK/tables.md"
{
  echo
  echo "### Whole inferences: the layers' sum, the instrumented build and the plain ones"
  echo
  echo "| core | model | sum of layers | instrumented | plain (board makefile) | plain, -fno-inline-functions-called-once | mcycle (instrumented) |"
  echo "|---|---|---:|---:|---:|---:|---:|"
  printf '%s\n' "${TOTALS[@]}"
} >> "$WORK/tables.md"
if (( WRITE )); then
  SECTION="$WORK/section.md"
  {
    echo "<!-- cpucycles.sh begin -->"
    echo "## CPU cycle model: per-kernel constants from emulated-core instruction counts (issue 10)"
    echo
    echo "Written by \`bench/cpucycles.sh --write\` (run from the repository root); do not edit by"
    echo "hand. Date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet || echo '+changes')."
    echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores available;"
    echo "$(arm-none-eabi-gcc --version | head -1); $(riscv64-unknown-elf-gcc --version | head -1);"
    echo "$(qemu-system-arm --version | head -1). The constants are in"
    echo "\`src/main/resources/io/kiln/sim/cpu/calibration.json\`, which \`io.kiln.sim.cpu.CpuCycleModel\` reads."
    echo
    cat "$ROOT/bench/cpucycles/NOTES.md"
    echo
    cat "$WORK/tables.md"
    echo "<!-- cpucycles.sh end -->"
  } > "$SECTION"
  touch "$ROOT/BENCHMARKS.md"
  write_section cpucycles "$SECTION" "$ROOT/BENCHMARKS.md"
else
  cat "$WORK/tables.md"
fi
