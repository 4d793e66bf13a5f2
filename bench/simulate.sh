#!/usr/bin/env bash
# Simulator benchmarks of issue 10 (not a test): DIANA's four configurations on the MLPerf Tiny
# models, simulated against analytic cycles per layer on diana and dla, single-layer sweeps of
# DIANA's arrays against their published behaviour, and the simulator's own speed. Rewrites only
# its own marked section of BENCHMARKS.md; the reading below the tables is bench/simulate.md.
#
#   bench/simulate.sh
#
# The MLPerf Tiny models are read from $KILN_SHARED/models (default /work/shared).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/bench/section.sh"
cd "$ROOT"
source "$ROOT/.mvn/jdk.sh"
JAVA="$KILN_JDK/bin/java"
SHARED="${KILN_SHARED:-/work/shared}"

bench_classpath
OUT="$("$JAVA" --enable-native-access=ALL-UNNAMED -Dkiln.shared="$SHARED" -cp "$CP" io.kiln.bench.SimBench)"
table() { printf '%s\n' "$OUT" | sed -n "/^BEGIN $1\$/,/^END $1\$/p" | sed '1d;$d'; }

bench_machine

SECTION="$(mktemp)"
trap 'rm -f "$SECTION"' EXIT
{
cat <<EOM
<!-- simulate.sh begin -->
## Simulation: \`kiln simulate\` (issue 10)

\`bash bench/simulate.sh\` on $DATE, commit $COMMIT; $CPU_MODEL, $CPUS cores; $JAVA_VERSION.
Every row is a simulation of the \`DeploymentPlan\` that \`kiln compile\` generates code from:
functional (bytes moved by the DMA descriptors, tiles computed by Java models of the units) and
timed (DMA channels, units and the host, by the program's waits) at once, with the outputs
compared against the interpreter on the lowered graph (\`kiln run --target\`). CPU kernels are
timed with the calibrated CPU cycle model (section \`cpucycles.sh\`); DIANA's and the DLA's hosts
take the rv32imc calibration of Kiln's plain-C kernels.

### DIANA's four configurations

The power-of-two models \`kiln quantize --per-channel --scales pow2\` makes from the float MLPerf
Tiny models (8 random calibration samples), at 260 MHz. The analog array takes ternary weights,
so its configurations ternarize (without retraining: accuracy drops, shown in the top-1 column).
Top-1 compares the deployment with the published int8 model on the 16 \`rand16\` samples; cycles
are simulated on the first sample (they do not depend on the data) with the outputs checked, and
the other 15 samples run the lowered graph the simulation matched byte for byte. Code and data:
\`gcc -O2 -c\` of kiln_model.c, kiln_weights.c and kiln_memories.c on the host (the memories the
plan places are in .bss).

$(table configurations)

### Simulated against analytic cycles per layer

The pow2 models on \`diana --policy mixed --ternarize\` and the int8 models on \`dla\`. "effect"
names, for layers more than 10% apart, the side that differs most: the array's compute, or the
transfers and host time around it.

$(table layers)

### Single layers on DIANA's arrays

One layer with power-of-two scales, planned and simulated alone on \`diana\` (digital, or analog
with \`--ternarize\`). "array" is the unit's compute alone (DIANA's published per-block model for
the digital array; one 16-cycle array step per output pixel plus the post-processing for the
analog one); "kernel call" adds the host's per-job setup and the weight and parameter transfers
(the activation tiles already in L1, as a kernel call measures it); "layer" adds the activation
transfers not hidden behind compute.

$(table sweeps)

### Speed

$(table speed)
EOM
cat "$ROOT/bench/simulate.md"
echo "<!-- simulate.sh end -->"
} > "$SECTION"
write_section simulate "$SECTION" "$ROOT/BENCHMARKS.md"
