#!/usr/bin/env bash
# Prints a bundle revision for a policy folder: "rego-" + the first 12 hex digits of a SHA-256
# over every policy and data file (tests excluded), in a stable order.
set -euo pipefail
dir="${1:-rego}"
hash="$(cd "$dir" && find . -type f \( -name '*.rego' -o -name '*.json' -o -name '*.yaml' -o -name '*.yml' \) \
  ! -name '*_test.rego' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)"
echo "rego-$hash"
