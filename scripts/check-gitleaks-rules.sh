#!/usr/bin/env bash
# Fails when the committed gitleaks rule file (src/screening/rules/gitleaks-rules.json) or its examples
# (test/screening/gitleaks-examples.json) are stale.
#   with Go: regenerate both into a temp folder and compare them byte for byte;
#   without: compare the recorded hash of the generator inputs (scripts/gitleaks-rules/) with a fresh one.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
rules="src/screening/rules/gitleaks-rules.json"
examples="test/screening/gitleaks-examples.json"
recorded="src/screening/rules/gitleaks-rules.inputs.sha256"
fix="Regenerate and commit them:  scripts/gen-gitleaks-rules.sh && git add $rules $examples $recorded"

for f in "$rules" "$examples" "$recorded"; do
  [ -f "$f" ] || { echo "gitleaks rules: FAILED — $f is missing. $fix" >&2; exit 1; }
done
if [ "$(scripts/gitleaks-rules-inputs.sh)" != "$(cat "$recorded")" ]; then
  echo "gitleaks rules: FAILED — scripts/gitleaks-rules/ changed since $rules was generated. $fix" >&2
  exit 1
fi
if ! command -v go >/dev/null 2>&1; then
  echo "gitleaks rules: inputs unchanged since generation (no Go toolchain here to regenerate and compare)" >&2
  exit 0
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
scripts/gen-gitleaks-rules.sh "$tmp/rules.json" "$tmp/examples.json" 2>"$tmp/gen.log" || { cat "$tmp/gen.log" >&2; exit 1; }
stale=()
cmp -s "$tmp/rules.json" "$rules" || stale+=("$rules")
cmp -s "$tmp/examples.json" "$examples" || stale+=("$examples")
if [ "${#stale[@]}" -gt 0 ]; then
  echo "gitleaks rules: FAILED — ${stale[*]} differ from a fresh generation. $fix" >&2
  exit 1
fi
echo "gitleaks rules: $rules is current ($(node -p "require('./$rules').source.version") of gitleaks)" >&2
