#!/usr/bin/env bash
# `npm run test:integrations`: the end-to-end tests of integrations/ against real third-party software
# (FastMCP, the LiteLLM proxy), each in a virtualenv cached under .tools/ (installed once by
# scripts/ensure-python-venv.sh: a few minutes and some hundreds of MB the first time), and nginx with njs
# (Debian's libnginx-mod-http-js, installed with apt by scripts/ensure-njs.sh).
# Ends with one line "integrations: N passed, N failed" for .ci/run to add to npm test's.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

status=0
for name in mcp litellm; do
  echo "── venv: $name"
  scripts/ensure-python-venv.sh "$name" >/dev/null || { echo "cannot install the $name virtualenv"; status=1; }
done
echo "── njs: nginx's JavaScript module"
scripts/ensure-njs.sh >/dev/null || { echo "cannot install njs (libnginx-mod-http-js)"; status=1; }
if [ "$status" -eq 0 ]; then
  npx jest -c jest.integrations.config.js --ci 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
fi
line="$(grep -E '^Tests: ' "$log" | tail -1)"
passed="$(sed -nE 's/.* ([0-9]+) passed.*/\1/p' <<<"$line")"
failed="$(sed -nE 's/.* ([0-9]+) failed.*/\1/p' <<<"$line")"
passed="${passed:-0}"
failed="${failed:-0}"
# A failure before jest counted anything (an install, a suite that did not load) is still a failure.
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "integrations: $passed passed, $failed failed"
exit "$status"
