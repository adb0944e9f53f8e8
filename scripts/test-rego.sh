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
  # OPA's own totals ("PASS: 128/130", "FAIL: 1/130", "ERROR: 1/130"): its verbose output repeats
  # each failing test under FAILURES, so counting result lines would count a failure twice.
  total_of() { sed -nE "s|^$1: ([0-9]+)/[0-9]+\$|\\1|p" "$tmp" | tail -1; }
  passed=$(total_of PASS) fails=$(total_of FAIL) errors=$(total_of ERROR)
  passed=${passed:-0} failed=$((${fails:-0} + ${errors:-0}))
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
