#!/usr/bin/env bash
# Fails when the committed bundles/modelgate.tar.gz no longer matches rego/.
# Rebuilds into a temp file and compares the extracted policy.wasm, data.json and .manifest
# (not tar bytes, which carry timestamps).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
committed="bundles/modelgate.tar.gz"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

if [ ! -f "$committed" ]; then
  echo "bundle check: $committed is missing. Build it with: npm run build:bundles" >&2
  exit 1
fi
scripts/build-bundles.sh "$tmp/fresh.tar.gz" 2>"$tmp/build.log" || { cat "$tmp/build.log" >&2; exit 1; }
# OPA writes member names with a leading '/', which GNU tar strips with a warning on every run.
extract() {
  local err
  err="$(tar -xzf "$1" -C "$2" 2>&1)" || { echo "$err" >&2; return 1; }
  grep -v "Removing leading" <<<"$err" >&2 || true
}
mkdir "$tmp/a" "$tmp/b"
extract "$committed" "$tmp/a"
extract "$tmp/fresh.tar.gz" "$tmp/b"

stale=()
for f in policy.wasm data.json .manifest; do
  if ! cmp -s "$tmp/a/$f" "$tmp/b/$f"; then stale+=("$f"); fi
done
if [ "${#stale[@]}" -gt 0 ]; then
  echo "bundle check: FAILED — $committed is stale: ${stale[*]} differ from a fresh build of rego/." >&2
  echo "  committed revision: $(grep -o '"revision":"[^"]*"' "$tmp/a/.manifest" || echo none)" >&2
  echo "  sources revision:   $(grep -o '"revision":"[^"]*"' "$tmp/b/.manifest")" >&2
  echo "Rebuild and commit it:  npm run build:bundles && git add $committed" >&2
  exit 1
fi
echo "bundle check: $committed is current ($(grep -o '"revision":"[^"]*"' "$tmp/b/.manifest"))" >&2
