#!/usr/bin/env bash
# Benchmarks gitops-lint on a generated platform (examples/bench_gen.rs).
#
#   bench/run.sh [--systems N]     # default N = 1000 (>= 10,000 documents, >= 20 MB)
#
# Builds release, generates bench/out/<N> if missing (git-ignored), then times:
#   1. floor: walk + read every file          (what any tool pays)
#   2. floor: walk + read + parse every file  (what any YAML tool pays)
#   3. gitops-lint check                      (the real thing)
# and the same on a real-shaped corpus (../shared/corpus copies and a
# generated home-ops fleet) at N=1 and N=10.
# interleaved, RUNS rounds (default 5), and prints the ratios of `check` to
# each floor and the peak RSS of each (via /usr/bin/time -v when present).
set -euo pipefail

cd "$(dirname "$0")/.."
SYSTEMS=1000
RUNS=${RUNS:-5}
while [ $# -gt 0 ]; do
  case "$1" in
    --systems) SYSTEMS="$2"; shift 2 ;;
    *) echo "usage: bench/run.sh [--systems N]" >&2; exit 2 ;;
  esac
done

TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --release --bin gitops-lint --example bench_gen --example bench_floor
BIN="$TARGET_DIR/release/gitops-lint"
OUT="bench/out/$SYSTEMS"
if [ ! -d "$OUT/platform" ]; then
  rm -rf "$OUT"
  "$TARGET_DIR/release/examples/bench_gen" "$OUT" --systems "$SYSTEMS"
fi
PLATFORM="$OUT/platform"

# The three commands timed, each run from the repository root. The floors
# (examples/bench_floor.rs) walk the same repositories with the same walker
# and thread pool as `check`; the environment may override each.
FLOOR=${FLOOR:-$TARGET_DIR/release/examples/bench_floor}
FLOOR_READ_CMD=${FLOOR_READ_CMD:-"$FLOOR walk-read $PLATFORM"}
FLOOR_PARSE_CMD=${FLOOR_PARSE_CMD:-"$FLOOR walk-read-parse $PLATFORM"}
CHECK_CMD=${CHECK_CMD:-"$BIN check $PLATFORM --format json --output /dev/null"}
# ---------------------------------------------------------------------------

declare -a NAMES=() CMDS=()
add() { if [ -n "$2" ]; then NAMES+=("$1"); CMDS+=("$2"); else echo "skip: $1 (placeholder not wired)"; fi; }
add "walk+read" "$FLOOR_READ_CMD"
add "walk+read+parse" "$FLOOR_PARSE_CMD"
add "gitops-lint check" "$CHECK_CMD"

echo "corpus: $PLATFORM ($(find "$OUT" -name '*.yaml' | wc -l) YAML files, $(du -sh "$OUT" | cut -f1))"
[ ${#CMDS[@]} -eq 0 ] && { echo "nothing to time yet"; exit 0; }

# Commands exit 1 when they report error findings; that is not a failure here.
# The commands are interleaved (one of each per round, after a warm-up round),
# so each round compares them on the same machine at the same moment: on a
# shared machine whose speed drifts, timing one command's runs and then the
# other's skews the ratio more than any change we measure.
now() { date +%s.%N; }
for i in "${!CMDS[@]}"; do bash -c "${CMDS[$i]}" >/dev/null 2>&1 || true; done
declare -a TOTAL=() BEST=()
for i in "${!CMDS[@]}"; do TOTAL[$i]=0; BEST[$i]=""; done
for _ in $(seq "$RUNS"); do
  for i in "${!CMDS[@]}"; do
    start=$(now)
    bash -c "${CMDS[$i]}" >/dev/null 2>&1 || true
    t=$(echo "$(now) - $start" | bc -l)
    TOTAL[$i]=$(echo "${TOTAL[$i]} + $t" | bc -l)
    if [ -z "${BEST[$i]}" ] || [ "$(echo "$t < ${BEST[$i]}" | bc -l)" = 1 ]; then BEST[$i]=$t; fi
  done
done
declare -a MEAN=()
for i in "${!CMDS[@]}"; do
  MEAN[$i]=$(echo "${TOTAL[$i]} / $RUNS" | bc -l)
  printf '%-20s mean %8.3f s   min %8.3f s   (%s runs, interleaved)\n' "${NAMES[$i]}" "${MEAN[$i]}" "${BEST[$i]}" "$RUNS"
done
last=$(( ${#CMDS[@]} - 1 ))
for i in "${!CMDS[@]}"; do
  [ "$i" = "$last" ] && continue
  printf '%-20s / %-16s  %5.2fx on means, %5.2fx on minimums\n' "${NAMES[$last]}" "${NAMES[$i]}" \
    "$(echo "${MEAN[$last]} / ${MEAN[$i]}" | bc -l)" "$(echo "${BEST[$last]} / ${BEST[$i]}" | bc -l)"
done

# One file of many documents: time must grow linearly with the documents
# (a lookup that scans the file per image once made it quadratic). Every
# image is from Docker Hub, so every document has a finding.
one_file() {
  local n=$1 dir="bench/out/one-file-$1"
  if [ ! -f "$dir/many.yaml" ]; then
    mkdir -p "$dir/.git"
    printf 'registries:\n  allowed: [myacr.azurecr.io]\n' > "$dir/.gitops-lint.yaml"
    awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) {
      if (i) print "---"
      printf "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app%d\n  namespace: apps\n", i
      printf "spec:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}}\n"
      printf "    spec:\n      containers:\n        - name: c\n          image: nginx:1.%d\n", i
    } }' > "$dir/many.yaml"
  fi
  echo "$dir"
}
SMALL=$(one_file 100000)
LARGE=$(one_file 200000)
declare -a ONE_T=(0 0)
for _ in $(seq "$RUNS"); do
  for j in 0 1; do
    dir=$SMALL; [ "$j" = 1 ] && dir=$LARGE
    start=$(now)
    "$BIN" check "$dir" --format json --output /dev/null >/dev/null 2>&1 || true
    ONE_T[$j]=$(echo "${ONE_T[$j]} + $(now) - $start" | bc -l)
  done
done
printf 'one file, 100k documents  mean %8.3f s\n' "$(echo "${ONE_T[0]} / $RUNS" | bc -l)"
printf 'one file, 200k documents  mean %8.3f s   (200k / 100k: %5.2fx; linear is 2x)\n' \
  "$(echo "${ONE_T[1]} / $RUNS" | bc -l)" "$(echo "${ONE_T[1]} / ${ONE_T[0]}" | bc -l)"

# The real-shaped corpus: N copies of ../shared/corpus (real public Flux
# repositories) and a generated home-ops fleet of N clusters (each a parent
# Kustomization patching 300 children and their HelmReleases, with a
# Component and post-build variables: examples/bench_gen/home_ops.rs), in
# one repository. `check` against the walk+read+parse floor at N=1 and
# N=10, interleaved, and how time grows with the input.
real_corpus() {
  local n=$1 dir="bench/out/real-$1"
  if [ ! -d "$dir" ]; then
    "$TARGET_DIR/release/examples/bench_gen" "$dir" --home-ops "$n" >/dev/null
    mkdir -p "$dir/.git"
    for c in $(seq "$n"); do
      mkdir -p "$dir/corpus/copy-$c"
      cp -r "$CORPUS"/*/ "$dir/corpus/copy-$c/"
    done
  fi
  echo "$dir"
}
CORPUS=${CORPUS:-../shared/corpus}
if [ -d "$CORPUS" ]; then
  R1=$(real_corpus 1)
  R10=$(real_corpus 10)
  echo "real-shaped corpus: $R1 ($(find "$R1" -name '*.yaml' | wc -l) YAML files, $(du -sh "$R1" | cut -f1)), $R10 ($(find "$R10" -name '*.yaml' | wc -l) YAML files, $(du -sh "$R10" | cut -f1))"
  declare -a RN=("floor N=1" "check N=1" "floor N=10" "check N=10")
  declare -a RC=("$FLOOR walk-read-parse $R1" "$BIN check $R1 --format json --output /dev/null" \
                 "$FLOOR walk-read-parse $R10" "$BIN check $R10 --format json --output /dev/null")
  declare -a RT=(0 0 0 0)
  for i in 0 1 2 3; do bash -c "${RC[$i]}" >/dev/null 2>&1 || true; done
  for _ in $(seq "$RUNS"); do
    for i in 0 1 2 3; do
      start=$(now)
      bash -c "${RC[$i]}" >/dev/null 2>&1 || true
      RT[$i]=$(echo "${RT[$i]} + $(now) - $start" | bc -l)
    done
  done
  for i in 0 1 2 3; do
    printf '%-12s mean %8.3f s\n' "${RN[$i]}" "$(echo "${RT[$i]} / $RUNS" | bc -l)"
  done
  printf 'check / floor at N=1:   %5.2fx\n' "$(echo "${RT[1]} / ${RT[0]}" | bc -l)"
  printf 'check / floor at N=10:  %5.2fx\n' "$(echo "${RT[3]} / ${RT[2]}" | bc -l)"
  printf 'check N=10 / check N=1: %5.2fx   (10x the input)\n' "$(echo "${RT[3]} / ${RT[1]}" | bc -l)"
  if [ -x /usr/bin/time ]; then
    log=$(mktemp)
    /usr/bin/time -v -o "$log" bash -c "${RC[3]}" >/dev/null 2>&1 || true
    printf 'check N=10 peak RSS %s KB (YAML: %s bytes)\n' "$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")" \
      "$(find "$R10" -name '*.yaml' -print0 | du -cb --files0-from=- | tail -1 | cut -f1)"
    rm -f "$log"
  fi
  echo "findings at N=1: $("$BIN" check "$R1" --format json 2>/dev/null | tr -d ' \n' | grep -o '"errors":[0-9]*,"warnings":[0-9]*' || true)"
else
  echo "skip: real-shaped corpus ($CORPUS not found)"
fi

if [ -x /usr/bin/time ]; then
  for i in "${!CMDS[@]}"; do
    log=$(mktemp)
    /usr/bin/time -v -o "$log" bash -c "${CMDS[$i]}" >/dev/null 2>&1 || true
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
    rm -f "$log"
    printf '%-20s peak RSS %s KB\n' "${NAMES[$i]}" "${rss:-?}"
  done
fi
