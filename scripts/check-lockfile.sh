#!/usr/bin/env bash
# Fails when package-lock.json is out of sync with package.json for npm 10 (what Node 20 ships) or
# npm 11: `npm ci` refuses a lock that lacks an optional package of another platform, for example.
# A dry run reads and checks the lock without touching node_modules.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
for major in 10 11; do
  if out="$(npx -y "npm@$major" ci --dry-run --ignore-scripts --no-audit --no-fund 2>&1)"; then
    echo "lock file: in sync for npm $major ($(npx -y "npm@$major" --version))"
  else
    echo "lock file: FAILED for npm $major:" >&2
    grep -E 'ERR|Missing|Invalid' <<<"$out" | head -20 >&2
    status=1
  fi
done
[ "$status" -eq 0 ] || echo "Regenerate it from scratch: rm -rf node_modules package-lock.json && npm install" >&2
exit "$status"
