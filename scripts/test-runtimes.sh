#!/usr/bin/env bash
# Runs the suites that check isolation and kernel settings once per runtime (BERTH_TEST_RUNTIME sets the
# test daemons' default-runtime): security, namespaces, resources, lifecycle, userns, volumes.
#   bash scripts/test-runtimes.sh [suite...]      (after npm run build)
set -uo pipefail
cd "$(dirname "$0")/.."
suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=(security namespaces resources lifecycle userns volumes)
status=0
for rt in runc crun; do
  files=()
  for s in "${suites[@]}"; do files+=("dist/test/$s.test.js"); done
  echo "== $rt: ${suites[*]}"
  out=$(mktemp)
  BERTH_TEST_RUNTIME=$rt node --test --test-concurrency=1 "${files[@]}" >"$out" 2>&1 || status=1
  grep -E '^# (tests|pass|fail)|^not ok' "$out"
  rm -f "$out"
done
exit $status
