#!/usr/bin/env bash
# Builds bundles/modelgate.tar.gz from rego/ with the pinned OPA:
#   opa build -t wasm -e modelgate/decision -e modelgate/limits -e modelgate/approve --revision <source hash> rego/
# The revision is a hash of the policy sources and data, so the same sources always give the
# same manifest, and a reply's `policy.revision` names exactly the Rego that decided.
# Usage: scripts/build-bundles.sh [OUT_FILE]   (default bundles/modelgate.tar.gz)
# Signing (production): BUNDLE_SIGNING_KEY=<PEM private key file, or HS secret> signs the bundle
# with OPA's .signatures.json format; BUNDLE_SIGNING_ALG (default RS256), BUNDLE_KEY_ID (default
# "default") and BUNDLE_SCOPE are optional. The committed default bundle stays unsigned.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="${1:-bundles/modelgate.tar.gz}"
opa="$(scripts/ensure-opa.sh)"

revision="$(scripts/rego-revision.sh rego)"
mkdir -p "$(dirname "$out")"
echo "building $out (revision $revision) with $("$opa" version | head -1)" >&2
"$opa" build -t wasm -e modelgate/decision -e modelgate/limits -e modelgate/approve --ignore '*_test.rego' --revision "$revision" -o "$out" rego/
if [ -n "${BUNDLE_SIGNING_KEY:-}" ]; then
  sign=(bundle sign "$out" --signing-key "$BUNDLE_SIGNING_KEY" --signing-alg "${BUNDLE_SIGNING_ALG:-RS256}"
    --key-id "${BUNDLE_KEY_ID:-default}")
  [ -z "${BUNDLE_SCOPE:-}" ] || sign+=(--scope "$BUNDLE_SCOPE")
  npx --no-install tsx src/cli/main.ts "${sign[@]}"
fi
echo "built $out" >&2
