#!/usr/bin/env bash
# Planning benchmarks of issue 5 (not a test): the L1-budget sweep of real MLPerf Tiny conv
# layers on DIANA's digital accelerator with the tiling heuristics on and off, each tiling
# solver's time per problem, and warm in-process planning time of the four models with the
# branch-and-bound and CP-SAT solvers. Rewrites only its own marked section of
# BENCHMARKS.md (appending it when absent), so bench/cpu.sh's tables stay as they are.
#
#   bench/plan.sh
#
# The MLPerf Tiny models are read from $KILN_SHARED/models/mlperf-tiny (default /work/shared).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/bench/section.sh"
cd "$ROOT"
source "$ROOT/.mvn/jdk.sh"
JAVA="$KILN_JDK/bin/java"
SHARED="${KILN_SHARED:-/work/shared}"

bench_classpath
OUT="$("$JAVA" --enable-native-access=ALL-UNNAMED -Dkiln.shared="$SHARED" -cp "$CP" io.kiln.bench.PlanBench)"

between() { printf '%s\n' "$OUT" | sed -n "/^$1_BEGIN\$/,/^$1_END\$/p" | sed '1d;$d'; }
value() { printf '%s\n' "$OUT" | sed -n "s/^$1=//p"; }
SWEEP="$(between SWEEP_ROWS)"
TIMES="$(between TIME_ROWS)"
SOLVES="$(between SOLVE_ROWS)"
MATRIX="$(between MATRIX_ROWS)"

bench_machine

SECTION="$(mktemp)"
trap 'rm -f "$SECTION"' EXIT
cat > "$SECTION" <<EOM
<!-- plan.sh begin -->
## Heterogeneous planning (issue 5)

Written by \`bench/plan.sh\` (run from the repository root; \`io.kiln.bench.PlanBench\` on Maven's
test classpath); do not edit by hand. Date: $DATE, commit $COMMIT.
Machine: $CPU_MODEL, $CPUS cores available; $JAVA_VERSION.

### L1 budget sweep on diana digital

Real conv layers of the MLPerf Tiny int8 models (after Kiln's default passes) planned on the
\`diana\` preset's \`digital\` accelerator (16×16 int8 array, 64 kB weight memory, double
buffering) with the shared L1 resized from 256 kB, halving, until no tiling fits; everything
else is the preset. *Heuristics on*: the tiler maximizes the preset's full objective α·(L1 bytes)
+ Σ βᵢ·Hᵢ; *α only*: the same problem with the heuristics removed. Both are scheduled by the
layer planner and costed by cost model v1 (cycles at 260 MHz, DMA overlapped under double
buffering). *Chosen* is what \`LayerPlanner.plan\` returns: it solves both and keeps the one with
fewer cycles, so it is never worse than either; "(α-only)" marks budgets where the heuristics
alone would have cost cycles. Tiles: tile sizes K, C, OY, OX and the number of tiles (compute
calls); L1 B: bytes reserved in L1, double buffers included. \`PlanChecker\` re-checked all
$(value sweep_checked) plans (coverage, halos, bytes, memory fit, order): no violation.
Budgets where the heuristics alone were slower than α only: $(value sweep_heuristics_alone_worse);
budgets where the chosen plan was slower than either: $(value sweep_chosen_worse).

| layer (IY×IX×C → OY×OX×K) | L1 | tiles, heuristics on | L1 B | cycles | tiles, α only | L1 B | cycles | chosen cycles |
|---|---:|---|---:|---:|---|---:|---:|---:|
$SWEEP

### Tiling solvers, per problem

The $(value solve_problems) distinct tiling problems the layer planner posed during the sweep above
($(value solve_tiled) tiled, $(value solve_infeasible) infeasible, the rest fit untiled), each
solved by every solver behind \`TilingSolver\` (\`kiln plan --solver\`): \`bnb\`, Kiln's branch and
bound; \`cpsat\`, OR-Tools CP-SAT on an exact model of the same problem (one worker, fixed seed);
\`exhaustive\`, the baseline that tries every combination. All three reached the same objective
on every problem (the benchmark fails otherwise). Per problem the median of 5 solves after one
unmeasured pass; microseconds, except the sum. Loading CP-SAT's native library, once per process,
took $(value cpsat_load_ms) ms.

| solver | median µs | 90th percentile µs | max µs | sum ms |
|---|---:|---:|---:|---:|
$SOLVES

### Planning time

In-process and warm: for each model, what \`kiln plan\` does between loading and printing —
plan-time ternarization where asked (as \`--ternarize\`), dispatch, tiling and scheduling of every
layer on its unit (a layer no tiling fits goes back to the CPU), and the network totals with the
L2 arena (\`NetworkSchedule\`). The models are loaded and run through the default passes once,
outside the timing. Each configuration is planned with \`--solver bnb\` and \`--solver cpsat\`,
taking turns within each run. Median of 10 runs after 3 unmeasured ones, in milliseconds; in
brackets the layers planned on an accelerator. The total is the median over runs of the four
models' sum; the issue's target is under 2 s. At the presets' real memory sizes most layers fit
untiled, where every solver returns at once without searching; on DIANA, ad's first and last
fully-connected layers are tiled (their int8 weights exceed the digital array's 64 kB weight
memory), and the row with DIANA's L1 cut to 32 kB makes the solvers tile many more layers.
\`kiln plan\` keeps \`bnb\` as its default for this reason.

| target, policy | solver | kws ms | vww ms | ic ms | ad ms | all four ms | under 2 s |
|---|---|---:|---:|---:|---:|---:|---|
$TIMES

### Plans of the four models

What \`kiln plan MODEL --target T --policy P [--ternarize]\` reports for the MLPerf Tiny int8
models (kws = kws_ref_model, vww = vww_96_int8, ic = pretrainedResnet_quant, ad = ad01_int8) on
each configuration: layers per unit (nodes fused into another layer's calls counted apart),
cycles and latency at the target's clock from cost model v1, MAC utilization over the
accelerator layers (their MACs over what their cycles could do at the unit's peak), the L2
activation arena and the bytes of weight blobs (laid out for their unit, padding included) or
constant tensors per memory. Every layer plan passed \`PlanChecker\` and every weight placement \`WeightPlacementChecker\`. These are estimates of the
cost model, not measurements of hardware; DIANA's analog and mixed rows use plan-time
ternarization, which changes accuracy. On \`diana\` without \`--ternarize\` the stock models'
requantization scales are not powers of two, so the shift-only digital array takes no layer.
Plain \`dla\` is \`dla:pe=64,sram=512KiB,par=output,dw=emulated\`.

| configuration | model | layers per unit | cycles | latency ms | MAC util. | L2 arena B | weights |
|---|---|---|---:|---:|---:|---:|---|
$MATRIX
<!-- plan.sh end -->
EOM

BENCH="$ROOT/BENCHMARKS.md"
touch "$BENCH"
write_section plan "$SECTION" "$BENCH"
