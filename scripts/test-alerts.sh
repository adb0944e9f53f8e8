#!/usr/bin/env bash
# `npm test` stage: the Prometheus alert rules (docs/operations/prometheus-alerts.yml) checked by
# `promtool check rules`, then their unit tests (test/operations/prometheus-alerts.test.yml, one
# group per alert) by `promtool test rules`. Ends with "alert rules: N passed, N failed": the check
# counts as one, each test group as one (read from promtool's JUnit report).
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
rules=docs/operations/prometheus-alerts.yml
tests=test/operations/prometheus-alerts.test.yml

promtool="$(scripts/ensure-promtool.sh)" || { echo "alert rules: 0 passed, 1 failed"; exit 1; }
junit="$(mktemp)"
trap 'rm -f "$junit"' EXIT
passed=0
failed=0

if "$promtool" check rules "$rules"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

"$promtool" test rules --junit="$junit" "$tests"
status=$?
cases="$(grep -o '<testcase ' "$junit" | wc -l)"
broken="$(grep -oE '<(failure|error)[ >]' "$junit" | wc -l)"
# A run that failed without a JUnit report (a file that does not parse) still counts as a failure.
if [ "$status" -ne 0 ] && [ "$broken" -eq 0 ]; then broken=1; fi
passed=$((passed + cases - broken))
failed=$((failed + broken))
# Precondition of a meaningful run: one test group per alert in the rules file.
alerts="$(grep -c '^ *- alert:' "$rules")"
if [ "$cases" -ne "$alerts" ]; then
  echo "expected $alerts test groups (one per alert in $rules), promtool ran $cases"
  failed=$((failed + 1))
fi
echo "alert rules: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
