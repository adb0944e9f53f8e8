#!/usr/bin/env bash
# `npm test`: every check the project has, in order, then one line "N passed, N failed" that
# sums opa test, the bundle cases and jest. Stops at the first failing stage.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
passed=0
failed=0

stage() {
  local name="$1"; shift
  echo "── $name: $*"
  if ! "$@" 2>&1 | tee -a "$log"; then
    echo "── $name FAILED"
    tally
    # A stage that fails before counting anything (lint, types, build) is still a failure.
    [ "$failed" -gt 0 ] || failed=1
    echo "$passed passed, $failed failed"
    exit 1
  fi
}

# Sums the "N passed, N failed" lines the counted stages print, and jest's "Tests:" line.
tally() {
  passed=0; failed=0
  while read -r p f; do passed=$((passed + p)); failed=$((failed + f)); done < <(
    sed -nE 's/^(rego|bundle cases|api fuzz|alert rules): ([0-9]+) passed, ([0-9]+) failed.*/\2 \3/p' "$log"
    grep -E '^Tests: ' "$log" | tail -1 | node -e '
      let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
        if (!s) return;
        const n = (w) => Number((s.match(new RegExp("(\\d+) " + w)) || [0, 0])[1]);
        console.log(n("passed"), n("failed"));
      });')
}

stage lockfile scripts/check-lockfile.sh
stage lint npx eslint .
stage format npx prettier --check .
stage typecheck npx tsc -p tsconfig.check.json --noEmit
stage rego scripts/test-rego.sh
stage bundle scripts/check-bundles.sh
stage gitleaks-rules scripts/check-gitleaks-rules.sh
stage build npx tsc -p tsconfig.json
stage console scripts/build-console.sh
stage bundle-cases node dist/cli/main.js test-bundle bundles/modelgate.tar.gz test/cases/
stage alert-rules scripts/test-alerts.sh
# The PostgreSQL suites start throw-away clusters with the server binaries this installs (as root;
# elsewhere they are skipped with a loud message when the binaries are missing).
if [ "$(id -u)" -eq 0 ]; then stage postgres scripts/ensure-postgres.sh; fi
stage chromium scripts/ensure-chromium.sh
stage jest npx jest --ci
stage api-fuzz scripts/test-api-fuzz.sh
tally
echo "$passed passed, $failed failed"
