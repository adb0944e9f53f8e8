#!/usr/bin/env bash
# Prints the path of a `promtool` built from the pinned Prometheus module, installing it if needed.
#   reuse: .tools/bin/promtool, or a `promtool` on PATH, built from PROMTOOL_MODULE at PROMTOOL_VERSION
#   build: `go install -tags remove_all_sd ...promtool@PROMTOOL_VERSION` into .tools/bin (once)
# The Go module of Prometheus 3.x is tagged v0.3xx.y: v0.316.0 is Prometheus 3.16.0.
# `remove_all_sd` leaves out the cloud service-discovery plugins, which checking and testing rules never
# use: roughly half the packages to compile on a 2-core machine.
# Progress goes to stderr so callers can use: PROMTOOL="$(scripts/ensure-promtool.sh)".
set -euo pipefail

PROMTOOL_VERSION="${PROMTOOL_VERSION:-v0.316.0}"
PROMTOOL_MODULE=github.com/prometheus/prometheus
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/.tools/bin"

# `go version -m` reads the module versions a Go binary was built from.
matches() {
  local bin="$1"
  [ -x "$bin" ] && command -v go >/dev/null 2>&1 &&
    go version -m "$bin" 2>/dev/null | awk -v m="$PROMTOOL_MODULE" -v v="$PROMTOOL_VERSION" \
      '$1 == "mod" && $2 == m && $3 == v { found = 1 } END { exit !found }'
}

if matches "$tools/promtool"; then echo "$tools/promtool"; exit 0; fi
if on_path="$(command -v promtool 2>/dev/null)" && matches "$on_path"; then echo "$on_path"; exit 0; fi

if ! command -v go >/dev/null 2>&1; then
  echo "promtool ($PROMTOOL_MODULE $PROMTOOL_VERSION) is needed to check the alert rules, and there is no Go" >&2
  echo "toolchain to build it with. Install Go (https://go.dev/doc/install) and run this again." >&2
  exit 1
fi

echo "installing promtool ($PROMTOOL_MODULE $PROMTOOL_VERSION) into $tools with go install (several minutes, once)..." >&2
mkdir -p "$tools"
if ! GOBIN="$tools" GOFLAGS="${GOFLAGS:-} -buildvcs=false" \
  go install -tags remove_all_sd "$PROMTOOL_MODULE/cmd/promtool@$PROMTOOL_VERSION" >&2; then
  echo "go install $PROMTOOL_MODULE/cmd/promtool@$PROMTOOL_VERSION failed (see above)." >&2
  echo "Check that the Go module proxy is reachable (GOPROXY=$(go env GOPROXY))." >&2
  exit 1
fi
matches "$tools/promtool" || { echo "built $tools/promtool but it is not $PROMTOOL_MODULE $PROMTOOL_VERSION" >&2; exit 1; }
echo "$tools/promtool"
