#!/usr/bin/env bash
# Prints the path of an `opa` binary at the pinned version, installing it if needed.
#   reuse: an `opa` on PATH, or in .tools/bin, whose version matches OPA_VERSION
#   build: `go install github.com/open-policy-agent/opa@OPA_VERSION` into .tools/bin
# Progress goes to stderr so callers can use: OPA="$(scripts/ensure-opa.sh)".
set -euo pipefail

OPA_VERSION="${OPA_VERSION:-$(cat "$(dirname "$0")/../.opa-version")}"
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/.tools/bin"

version_of() { "$1" version 2>/dev/null | awk '/^Version:/ {print $2}'; }

matches() {
  local bin="$1"
  [ -x "$bin" ] && [ "v$(version_of "$bin")" = "$OPA_VERSION" ]
}

if matches "$tools/opa"; then echo "$tools/opa"; exit 0; fi
if on_path="$(command -v opa 2>/dev/null)" && matches "$on_path"; then echo "$on_path"; exit 0; fi

if ! command -v go >/dev/null 2>&1; then
  cat >&2 <<MSG
modelgate needs OPA $OPA_VERSION and could not find it.
  - no \`opa\` $OPA_VERSION on PATH (found: $(command -v opa >/dev/null 2>&1 && version_of "$(command -v opa)" || echo none))
  - no Go toolchain to build it with
Either install Go (https://go.dev/doc/install) and run this again, or put OPA $OPA_VERSION on PATH:
  https://www.openpolicyagent.org/docs/latest/#running-opa
MSG
  exit 1
fi

echo "installing OPA $OPA_VERSION into $tools with go install (takes a few minutes, once)..." >&2
mkdir -p "$tools"
if ! GOBIN="$tools" go install "github.com/open-policy-agent/opa@$OPA_VERSION" >&2; then
  echo "go install github.com/open-policy-agent/opa@$OPA_VERSION failed (see above)." >&2
  echo "Check that the Go module proxy is reachable (GOPROXY=$(go env GOPROXY)), or put OPA $OPA_VERSION on PATH." >&2
  exit 1
fi
matches "$tools/opa" || { echo "built $tools/opa but it does not report version $OPA_VERSION" >&2; exit 1; }
echo "$tools/opa"
