#!/usr/bin/env bash
# Runs the pinned OPA: `npm run opa -- test rego/ -v`.
set -euo pipefail
exec "$("$(dirname "$0")/ensure-opa.sh")" "$@"
