#!/usr/bin/env bash
# Prints the path of a `promtool` built from the pinned Prometheus module, installing it if needed (several
# minutes, once); see scripts/lib/ensure-go-tool.sh for where it looks first.
# The Go module of Prometheus 3.x is tagged v0.3xx.y: v0.316.0 is Prometheus 3.16.0.
# `remove_all_sd` leaves out the cloud service-discovery plugins, which checking and testing rules never
# use: roughly half the packages to compile on a 2-core machine.
# Progress goes to stderr so callers can use: PROMTOOL="$(scripts/ensure-promtool.sh)".
set -euo pipefail
source "$(dirname "$0")/lib/ensure-go-tool.sh"

PROMTOOL_VERSION="${PROMTOOL_VERSION:-v0.316.0}"
PROMTOOL_MODULE=github.com/prometheus/prometheus
ensure_go_tool promtool "$PROMTOOL_MODULE" "$PROMTOOL_VERSION" "$PROMTOOL_MODULE/cmd/promtool" \
  'check the alert rules' -tags remove_all_sd
