#!/usr/bin/env bash
# Cortex-M benchmark of Kiln's generated C (not a test): for each MLPerf Tiny int8 model, core
# and kernel family it builds the model for the core's board, runs it under
#   qemu-system-arm -icount shift=0     (one instruction = 1 ns of virtual time)
# and reads SysTick (clocked from virtual time) around the second of two inferences, so
#   instructions = ticks * 1e9 / core clock (25 MHz on MPS2, 32 MHz on MPS3 AN547),
# exact to one tick (40 or 31.25 instructions). A second build with -finstrument-functions
# times every layer function. It also reports .text/.rodata of the model and weights objects and
# RAM (the arena, I/O buffers and the kernels' stack buffers).
#
#   bench/cortexm.sh [--layers] [--unicorn] [--cores cortex-m4,...] [--models kws_ref_model,...]
#                    [--markdown FILE | --write]        (default: print the tables)
#
# --write replaces the marked cortexm.sh section of BENCHMARKS.md (appending it when absent), with
# bench/cortexm/NOTES.md (the analysis, written by hand) after the generated tables.
#
# --unicorn cross-checks the method on the M4 DSP builds: the same ELF, built with
# -mfloat-abi=soft (unicorn does not model the FPU enable), counted by QEMU's SysTick and
# exactly by bench/cortexm/count_unicorn.py (Debian's python3-unicorn, /usr/bin/python3).
#
# Needs arm-none-eabi-gcc (with newlib) and qemu-system-arm; the models are read from
# $KILN_SHARED/models/mlperf-tiny (default /work/shared).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/bench/section.sh"
cd "$ROOT"
SHARED="${KILN_SHARED:-/work/shared}"
MODELS_DIR="$SHARED/models/mlperf-tiny"
LAYERS=0
UNICORN=0
WRITE=0
MD=""
ONLY_CORES=""
ONLY_MODELS=""
while (( $# )); do
  case "$1" in
    --layers) LAYERS=1 ;;
    --unicorn) UNICORN=1 ;;
    --markdown) MD="$2"; shift ;;
    --write) WRITE=1 ;;
    --cores) ONLY_CORES="$2"; shift ;;
    --models) ONLY_MODELS="$2"; shift ;;
    *) echo "usage: bench/cortexm.sh [--layers] [--cores LIST] [--models LIST] [--markdown FILE]" >&2
       exit 2 ;;
  esac
  shift
done
for tool in arm-none-eabi-gcc arm-none-eabi-nm arm-none-eabi-size qemu-system-arm; do
  command -v "$tool" >/dev/null || { echo "bench/cortexm.sh: $tool not found" >&2; exit 2; }
done
bench_jar
source "$ROOT/.mvn/jdk.sh"
KILN=("$KILN_JDK/bin/java" -jar "$JAR")
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# TFLM + CMSIS-NN and Kiln's portable C before this work (issue 14; gcc 12.2, second of two
# inferences, Kiln -O3). M7 counts are within 1% of the M4's per the issue.
declare -A CMSIS_M4=([kws_ref_model]=7696909 [pretrainedResnet_quant]=29862577 [ad01_int8]=582993 [vww_96_int8]=24101967)
declare -A CMSIS_M55=([kws_ref_model]=1810000 [pretrainedResnet_quant]=4910000 [ad01_int8]=286000 [vww_96_int8]=6560000)

MODELS=(kws_ref_model pretrainedResnet_quant ad01_int8 vww_96_int8)
# core:board:clock
CORES=("cortex-m4:mps2-an386:25000000" "cortex-m7:mps2-an500:25000000" "cortex-m55:mps3-an547:32000000")

instructions() { # ticks clock
  echo $(( ($1 * 1000000000 + $2 / 2) / $2 ))
}

build() { # dir board flags... ; builds bench.elf from the generated model and bench_main.c
  local dir=$1 board=$2; shift 2
  local stem=${board//-/_}
  arm-none-eabi-gcc "$@" -I"$dir" -o "$dir/bench.elf" "$dir/kiln_model.c" "$dir/kiln_weights.c" \
    "$ROOT/bench/cortexm/bench_main.c" "$dir/startup_$stem.c" -nostartfiles -T "$dir/$stem.ld" \
    -Wl,--gc-sections -lm
}

run() { # board elf
  timeout 600 qemu-system-arm -M "$1" -nographic -semihosting-config enable=on,target=native \
    -icount shift=0 -kernel "$2" 2>&1
}

ROWS=()
LAYER_ROWS=()
UNICORN_ROWS=()
for spec in "${CORES[@]}"; do
  IFS=: read -r core board clock <<<"$spec"
  [[ -z "$ONLY_CORES" || ",$ONLY_CORES," == *",$core,"* ]] || continue
  for model in "${MODELS[@]}"; do
    [[ -z "$ONLY_MODELS" || ",$ONLY_MODELS," == *",$model,"* ]] || continue
    for family in generic "$core"; do
      dir="$WORK/$model-$core-$family"
      "${KILN[@]}" compile "$MODELS_DIR/$model.tflite" --target "cpu:core=$family" \
        --board "$board" -o "$dir" --json "$dir/report.json" >/dev/null
      flags=$(sed -n 's/^ARCH_FLAGS = //p' "$dir/Makefile.$board")
      # shellcheck disable=SC2086
      common=($flags -std=c99 -O2 -Wall -Wextra -Werror -ffunction-sections -fdata-sections)
      build "$dir" "$board" "${common[@]}"
      ticks=$(run "$board" "$dir/bench.elf" | sed -n 's/^ticks //p')
      instr=$(instructions "$ticks" "$clock")
      # shellcheck disable=SC2086
      arm-none-eabi-gcc $flags -std=c99 -O2 -c -o "$dir/m.o" "$dir/kiln_model.c" -I"$dir"
      # shellcheck disable=SC2086
      arm-none-eabi-gcc $flags -std=c99 -O2 -c -o "$dir/w.o" "$dir/kiln_weights.c" -I"$dir"
      read -r text rodata < <(arm-none-eabi-size -A "$dir/m.o" "$dir/w.o" | awk '
        $1 ~ /^\.text/ {t += $2} $1 ~ /^\.rodata/ {r += $2} END {print t, r}')
      ram=$(python3 -c "import json,sys; t=json.load(open('$dir/report.json'))['totals']; print(t['arena_bytes']+t['input_bytes']+t['output_bytes']+t['scratch_bytes'])")
      kname=$([[ $family == generic ]] && echo plain-c || { [[ $core == cortex-m55 ]] && echo mve+dsp || echo dsp; })
      ref=""
      if [[ $core == cortex-m55 ]]; then ref=${CMSIS_M55[$model]}; else ref=${CMSIS_M4[$model]}; fi
      ratio=$(python3 -c "print(f'{$instr/$ref:.2f}')")
      ROWS+=("| $model | $core | $kname | $(printf "%'d" "$instr") | $(printf "%'d" "$ref") | $ratio | $(printf "%'d" "$text") | $(printf "%'d" "$rodata") | $(printf "%'d" "$ram") |")
      echo "$model $core $kname instructions=$instr cmsis=$ref ratio=$ratio text=$text rodata=$rodata ram=$ram" >&2
      if (( UNICORN )) && [[ $family != generic && $core == cortex-m4 ]]; then
        soft=()
        for f in $flags; do
          case "$f" in -mfpu=*) ;; -mfloat-abi=*) soft+=(-mfloat-abi=soft) ;; *) soft+=("$f") ;; esac
        done
        build "$dir" "$board" "${soft[@]}" -std=c99 -O2 -ffunction-sections -fdata-sections
        qticks=$(run "$board" "$dir/bench.elf" | sed -n 's/^ticks //p')
        exact=$(/usr/bin/python3 "$ROOT/bench/cortexm/count_unicorn.py" "$dir/bench.elf" \
          | sed -n 's/^instructions //p')
        UNICORN_ROWS+=("| $model | $core soft-float | $(printf "%'d" "$(instructions "$qticks" "$clock")") | $(printf "%'d" "$exact") |")
      fi
      if (( LAYERS )) && [[ $family != generic && $core != cortex-m7 ]]; then
        build "$dir" "$board" "${common[@]}" -finstrument-functions \
          -finstrument-functions-exclude-file-list=kiln_dsp.h,kiln_mve.h,kiln_runtime.h,kiln_semihost.h \
          -finstrument-functions-exclude-function-list=_pixel \
          -DKILN_BENCH_LAYERS
        run "$board" "$dir/bench.elf" > "$dir/events.txt"
        arm-none-eabi-nm "$dir/bench.elf" > "$dir/nm.txt"
        while read -r line; do LAYER_ROWS+=("$line"); done < <(python3 - "$dir" "$clock" "$model" "$core" <<'PY'
import json, re, sys
d, clock, model, core = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
names = {}
for l in open(d + "/nm.txt"):
    p = l.split()
    if len(p) == 3:
        names[int(p[0], 16) & ~1] = p[2]
rep = {l["index"]: l for l in json.load(open(d + "/report.json"))["layers"]}
start = {}
for l in open(d + "/events.txt"):
    p = l.split()
    if p[0] not in ("enter", "exit"):
        continue
    fn, t = names.get(int(p[1], 16), p[1]), int(p[2])
    if p[0] == "enter":
        start[fn] = t
        continue
    m = re.match(r"kiln_l(\d+)_", fn)
    if not m:
        continue
    k = int(m.group(1))
    instr = round((t - start[fn]) * 1e9 / clock)
    l = rep[k]
    per = f"{instr / l['macs']:.2f}" if l["macs"] else ""
    print(f"| {model} | {core} | {k} | {l['op']} | {l['output']['shape']} | {l['kernel']} | {l['macs']:,} | {instr:,} | {per} |")
PY
)
      fi
    done
  done
done

{
  echo "| model | core | kernels | instructions | TFLM + CMSIS-NN | ratio | .text | .rodata | RAM |"
  echo "|---|---|---|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${ROWS[@]}"
  if (( UNICORN )); then
    echo
    echo "| model | build | QEMU SysTick x 40 | unicorn, exact |"
    echo "|---|---|---:|---:|"
    printf '%s\n' "${UNICORN_ROWS[@]}"
  fi
  if (( LAYERS )); then
    echo
    echo "| model | core | layer | operator | output | kernel | MACs | instructions | per MAC |"
    echo "|---|---|---:|---|---|---|---:|---:|---:|"
    printf '%s\n' "${LAYER_ROWS[@]}"
  fi
} > "$WORK/tables.md"
if [[ -n "$MD" ]]; then cp "$WORK/tables.md" "$MD"; fi
if (( WRITE )); then
  SECTION="$WORK/section.md"
  {
    echo "<!-- cortexm.sh begin -->"
    echo "## Cortex-M: instructions per inference against TFLM + CMSIS-NN (issue 14)"
    echo
    echo "Written by \`bench/cortexm.sh$( ((LAYERS)) && echo ' --layers')$( ((UNICORN)) && echo ' --unicorn') --write\`"
    echo "(run from the repository root); do not edit by hand. Date: $(date -u '+%Y-%m-%d %H:%M UTC'),"
    echo "commit $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet || echo '+changes')."
    echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores available;"
    echo "$(arm-none-eabi-gcc --version | head -1); $(qemu-system-arm --version | head -1)."
    echo
    cat "$WORK/tables.md"
    if [[ -f "$ROOT/bench/cortexm/NOTES.md" ]]; then
      echo
      cat "$ROOT/bench/cortexm/NOTES.md"
    fi
    echo "<!-- cortexm.sh end -->"
  } > "$SECTION"
  BENCH="$ROOT/BENCHMARKS.md"
  touch "$BENCH"
  write_section cortexm "$SECTION" "$BENCH"
fi
if [[ -z "$MD" ]] && (( ! WRITE )); then cat "$WORK/tables.md"; fi
