#!/usr/bin/env bash
# Builds the seed corpus of both fuzz targets (fuzz/corpus/, git-ignored)
# from the repository's fixtures, the inputs that once failed
# (testdata/fuzz/), and, when it is beside the checkout, the official YAML
# test suite (../shared/yaml-test-suite).
set -euo pipefail
cd "$(dirname "$0")/.."
for target in yaml lint; do
  out="fuzz/corpus/$target"
  mkdir -p "$out"
  i=0
  while IFS= read -r -d '' f; do
    cp "$f" "$out/seed-$i"
    i=$((i + 1))
  done < <(find testdata testdata/fuzz/"$target" -type f \( -name '*.yaml' -o -name '*.yml' -o -path '*/fuzz/*' \) -size -64k -print0)
  if [ -d ../shared/yaml-test-suite ]; then
    while IFS= read -r -d '' f; do
      cp "$f" "$out/suite-$i"
      i=$((i + 1))
    done < <(find ../shared/yaml-test-suite -name 'in.yaml' -print0)
  fi
  echo "$out: $i seeds"
done
