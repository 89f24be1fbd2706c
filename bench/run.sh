#!/usr/bin/env bash
# Benchmarks gitops-lint on a generated platform (examples/bench_gen.rs).
#
#   bench/run.sh [--systems N]     # default N = 1000 (>= 10,000 documents, >= 20 MB)
#
# Builds release, generates bench/out/<N> if missing (git-ignored), then times:
#   1. floor: walk + read every file          (what any tool pays)
#   2. floor: walk + read + parse every file  (what any YAML tool pays)
#   3. gitops-lint check                      (the real thing)
# and, on a real-shaped corpus (../shared/corpus copies and a generated
# home-ops fleet) at N=1, 4 and 10, as one tree and as separate
# repositories: scaling, both floors, the result cache, peak memory, and
# the YAML layer's candidates on one thread (examples/yaml_layer.rs).
# Every timed `check` runs with --no-cache but the cache's own rows.
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
cargo build --release --bin gitops-lint --example bench_gen --example bench_floor --example yaml_layer
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
CHECK_CMD=${CHECK_CMD:-"$BIN check $PLATFORM --format json --output /dev/null --no-cache"}
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
    "$BIN" check "$dir" --format json --output /dev/null --no-cache >/dev/null 2>&1 || true
    ONE_T[$j]=$(echo "${ONE_T[$j]} + $(now) - $start" | bc -l)
  done
done
printf 'one file, 100k documents  mean %8.3f s\n' "$(echo "${ONE_T[0]} / $RUNS" | bc -l)"
printf 'one file, 200k documents  mean %8.3f s   (200k / 100k: %5.2fx; linear is 2x)\n' \
  "$(echo "${ONE_T[1]} / $RUNS" | bc -l)" "$(echo "${ONE_T[1]} / ${ONE_T[0]}" | bc -l)"

# The real-shaped corpus: N copies of ../shared/corpus (real public Flux
# repositories) and a generated home-ops fleet of N clusters (each a parent
# Kustomization patching 300 children and their HelmReleases, with a
# Component and post-build variables: examples/bench_gen/home_ops.rs), at
# N = 1, 4 and 10, laid out two ways:
#   tree:  one repository holding the fleet and the copies (bench/out/real-N);
#   repos: the fleet as the platform repository and every copied repository
#          as its own, beside it, named in the fleet's `systemRepos`
#          (bench/out/repos-N/fleet, bench/out/repos-N/copy-C/REPO).
# Timed interleaved: `check` at each N and layout (no cache), the floors,
# the cache's first and second run; then peak memory against corpus bytes.
real_tree() {
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
real_repos() {
  local n=$1 dir="bench/out/repos-$1"
  if [ ! -d "$dir/fleet" ]; then
    rm -rf "$dir"
    "$TARGET_DIR/release/examples/bench_gen" "$dir/fleet" --home-ops "$n" >/dev/null
    mkdir -p "$dir/fleet/.git"
    echo "systemRepos:" >> "$dir/fleet/.gitops-lint.yaml"
    for c in $(seq "$n"); do
      for repo in "$CORPUS"/*/; do
        name=$(basename "$repo")
        mkdir -p "$dir/copy-$c/$name/.git"
        cp -r "$repo". "$dir/copy-$c/$name/"
        echo "  c$c-$name: ../copy-$c/$name" >> "$dir/fleet/.gitops-lint.yaml"
      done
    done
  fi
  echo "$dir/fleet"
}
yaml_bytes() { find "$@" -name '*.y*ml' -type f -print0 | du -cb --files0-from=- | tail -1 | cut -f1; }
mean() { echo "$1 / $RUNS" | bc -l; }
CORPUS=${CORPUS:-../shared/corpus}
if [ -d "$CORPUS" ]; then
  T1=$(real_tree 1); T4=$(real_tree 4); T10=$(real_tree 10)
  P1=$(real_repos 1); P4=$(real_repos 4); P10=$(real_repos 10)
  echo "real-shaped corpus: N=1 $(find "$T1" -name '*.yaml' | wc -l) YAML files, $(yaml_bytes "$T1") bytes; N=10 $(find "$T10" -name '*.yaml' | wc -l) YAML files, $(yaml_bytes "$T10") bytes"
  CACHE=$(mktemp -d)
  NOCACHE="--format json --output /dev/null --no-cache"
  declare -a RN=(
    "read floor, tree N=10" "parse floor, tree N=1" "parse floor, tree N=10"
    "check tree N=1" "check tree N=4" "check tree N=10"
    "check repos N=1" "check repos N=4" "check repos N=10"
    "parse floor, repos N=10"
    "cached 1st, tree N=10" "cached 2nd, tree N=10")
  declare -a RC=(
    "$FLOOR walk-read $T10" "$FLOOR walk-read-parse $T1" "$FLOOR walk-read-parse $T10"
    "$BIN check $T1 $NOCACHE" "$BIN check $T4 $NOCACHE" "$BIN check $T10 $NOCACHE"
    "$BIN check $P1 $NOCACHE" "$BIN check $P4 $NOCACHE" "$BIN check $P10 $NOCACHE"
    "$FLOOR walk-read-parse $P10"
    "rm -rf $CACHE/c; $BIN check $T10 --format json --output /dev/null --cache-dir $CACHE/c"
    "$BIN check $T10 --format json --output /dev/null --cache-dir $CACHE/c")
  declare -a RT=()
  for i in "${!RC[@]}"; do RT[$i]=0; bash -c "${RC[$i]}" >/dev/null 2>&1 || true; done
  for _ in $(seq "$RUNS"); do
    for i in "${!RC[@]}"; do
      start=$(now)
      bash -c "${RC[$i]}" >/dev/null 2>&1 || true
      RT[$i]=$(echo "${RT[$i]} + $(now) - $start" | bc -l)
    done
  done
  rm -rf "$CACHE"
  for i in "${!RC[@]}"; do
    printf '%-24s mean %8.3f s\n' "${RN[$i]}" "$(mean "${RT[$i]}")"
  done
  ratio() { printf '%-44s %6.2fx%s\n' "$1" "$(echo "${RT[$2]} / ${RT[$3]}" | bc -l)" "${4:-}"; }
  ratio "tree:  check N=4 / N=1" 4 3 "   (target <= 4.4x)"
  ratio "tree:  check N=10 / N=1" 5 3 "   (target <= 11x)"
  ratio "repos: check N=4 / N=1" 7 6 "   (target <= 4.4x)"
  ratio "repos: check N=10 / N=1" 8 6 "   (target <= 11x)"
  ratio "tree:  check / parse floor at N=1" 3 1
  ratio "tree:  check / parse floor at N=10" 5 2 "   (target <= 1.5x)"
  ratio "tree:  check / read floor at N=10" 5 0
  ratio "repos: check / parse floor at N=10" 8 9
  ratio "cached: 1st run / uncached, tree N=10" 10 5
  ratio "cached: 2nd run / 1st run, tree N=10" 11 10 "   (target <= 0.25x)"
  read_s=$(mean "${RT[0]}"); parse_s=$(mean "${RT[2]}"); bytes10=$(yaml_bytes "$T10")
  printf 'YAML layer at N=10 (parse floor - read floor): %.3f s, %.1f MB/s\n' \
    "$(echo "$parse_s - $read_s" | bc -l)" "$(echo "$bytes10 / ($parse_s - $read_s) / 1000000" | bc -l)"
  # The YAML layer alone, one thread, each candidate on the same files
  # (examples/yaml_layer.rs): the table the README keeps.
  echo "YAML layer candidates on the N=10 tree:"
  "$TARGET_DIR/release/examples/yaml_layer" "$T10" "$RUNS"
  if [ -x /usr/bin/time ]; then
    for i in 5 8; do
      log=$(mktemp)
      /usr/bin/time -v -o "$log" bash -c "${RC[$i]}" >/dev/null 2>&1 || true
      rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
      rm -f "$log"
      printf '%-20s peak RSS %s KB = %.1fx the YAML bytes (%s; target <= 4x)\n' "${RN[$i]}" "$rss" \
        "$(echo "$rss * 1024 / $bytes10" | bc -l)" "$bytes10"
    done
  fi
  echo "findings at N=1, tree:  $("$BIN" check "$T1" --no-cache --format json 2>/dev/null | tr -d ' \n' | grep -o '"errors":[0-9]*,"warnings":[0-9]*' || true)"
  echo "findings at N=1, repos: $("$BIN" check "$P1" --no-cache --format json 2>/dev/null | tr -d ' \n' | grep -o '"errors":[0-9]*,"warnings":[0-9]*' || true)"
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
