# Sourced by the bench scripts: each owns one marked section of BENCHMARKS.md.
#
#   write_section NAME SECTION_FILE BENCH_FILE
#
# replaces the lines from "<!-- NAME.sh begin -->" to "<!-- NAME.sh end -->" of BENCH_FILE with
# SECTION_FILE (which carries the markers itself), leaving everything around it untouched, or
# appends SECTION_FILE when BENCH_FILE has no such section yet.
write_section() {
  local name="$1" section="$2" bench="$3"
  if grep -q "^<!-- $name.sh begin -->\$" "$bench" 2>/dev/null; then
    awk -v f="$section" -v b="<!-- $name.sh begin -->" -v e="<!-- $name.sh end -->" '
      $0 == b { while ((getline l < f) > 0) print l; skip = 1; next }
      $0 == e { skip = 0; next }
      !skip { print }' "$bench" > "$bench.tmp"
    mv "$bench.tmp" "$bench"
  else
    { [[ -s "$bench" ]] && echo; cat "$section"; } >> "$bench"
  fi
  echo "wrote the $name section of $bench" >&2
}

# The shared preamble of the bench scripts; each needs ROOT set.
#
#   bench_jar          builds target/kiln.jar when src/main or pom.xml is newer; sets JAR
#   bench_classpath    compiles the test classes; sets CP to the main and test classes and the
#                      dependencies (the bench programs live in src/test/java/io/kiln/bench)
#   bench_machine      sets CPU_MODEL, CPUS, JAVA_VERSION, DATE and COMMIT for a section header
bench_jar() {
  JAR="$ROOT/target/kiln.jar"
  if [[ ! -f "$JAR" || -n "$(find "$ROOT/src/main" "$ROOT/pom.xml" -newer "$JAR" -print -quit)" ]]; then
    echo "building $JAR" >&2
    "$ROOT/mvnw" -q -B -DskipTests package >&2
  fi
}

bench_classpath() {
  "$ROOT/mvnw" -q -B test-compile >&2
  local deps
  deps="$("$ROOT/mvnw" -q -B dependency:build-classpath -Dmdep.outputFile=/dev/stdout)"
  CP="$ROOT/target/classes:$ROOT/target/test-classes:$deps"
}

bench_machine() {
  CPU_MODEL="$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
  CPUS="$(nproc)"
  [[ -n "${KILN_JDK:-}" ]] || source "$ROOT/.mvn/jdk.sh"
  JAVA_VERSION="$("$KILN_JDK/bin/java" -version 2>&1 | head -1)"
  DATE="$(date -u '+%Y-%m-%d %H:%M UTC')"
  COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet 2>/dev/null || echo '+changes')"
}
