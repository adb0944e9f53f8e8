#!/usr/bin/env bash
# Runs `opa test` on rego/ with coverage; fails below the threshold and prints the figure.
# Prints "rego: N passed, N failed" for the test summary.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
threshold="${REGO_COVERAGE_MIN:-90}"
opa="$(scripts/ensure-opa.sh)"
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT

# Verbose run first: authors see each test and OPA's own errors (file:line) on a broken policy.
if ! "$opa" test rego/ -v >"$tmp" 2>&1; then
  cat "$tmp"
  passed=$(grep -c '^PASS\|: PASS' "$tmp" || true)
  failed=$(grep -c ': FAIL\|: ERROR' "$tmp" || true)
  [ "$failed" -gt 0 ] || failed=1
  echo "rego: $passed passed, $failed failed"
  exit 1
fi
grep -E '^(PASS|FAIL|ERROR)|^-+$|^[A-Z]+: [0-9]+/[0-9]+' "$tmp" | tail -3 || true
passed=$(grep -cE ': PASS \(' "$tmp" || true)

coverage=$("$opa" test rego/ --coverage --format=json | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).coverage.toFixed(2)));')
echo "rego coverage: ${coverage}% (minimum ${threshold}%)"
if node -e "process.exit(Number('$coverage') >= Number('$threshold') ? 0 : 1)"; then
  echo "rego: $passed passed, 0 failed"
else
  echo "rego coverage ${coverage}% is below ${threshold}%: add opa tests for the uncovered rules" \
       "(see: $opa test rego/ --coverage --format=json)" >&2
  echo "rego: $passed passed, 1 failed"
  exit 1
fi
