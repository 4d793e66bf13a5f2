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
