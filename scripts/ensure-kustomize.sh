#!/usr/bin/env bash
# Prints the path of a `kustomize` built from the pinned module, installing it if needed.
#   reuse: .tools/bin/kustomize, or a `kustomize` on PATH, built from KUSTOMIZE_MODULE at KUSTOMIZE_VERSION
#   build: `go install ...kustomize/v5@KUSTOMIZE_VERSION` into .tools/bin (once; about 30 s on 2 cores)
# test/deploy/kubernetes.test.ts renders deploy/kubernetes with it, as `kubectl apply -k` does with the kustomize
# built into kubectl. `kustomize build` of local folders needs no network.
# Progress goes to stderr so callers can use: KUSTOMIZE="$(scripts/ensure-kustomize.sh)".
set -euo pipefail

KUSTOMIZE_VERSION="${KUSTOMIZE_VERSION:-v5.7.1}"
KUSTOMIZE_MODULE=sigs.k8s.io/kustomize/kustomize/v5
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/.tools/bin"

# `go version -m` reads the module a Go binary was built from.
matches() {
  local bin="$1"
  [ -x "$bin" ] && command -v go >/dev/null 2>&1 &&
    go version -m "$bin" 2>/dev/null | awk -v m="$KUSTOMIZE_MODULE" -v v="$KUSTOMIZE_VERSION" \
      '$1 == "mod" && $2 == m && $3 == v { found = 1 } END { exit !found }'
}

if matches "$tools/kustomize"; then echo "$tools/kustomize"; exit 0; fi
if on_path="$(command -v kustomize 2>/dev/null)" && matches "$on_path"; then echo "$on_path"; exit 0; fi

if ! command -v go >/dev/null 2>&1; then
  echo "kustomize ($KUSTOMIZE_MODULE $KUSTOMIZE_VERSION) is needed to render deploy/kubernetes, and there is no Go" >&2
  echo "toolchain to build it with. Install Go (https://go.dev/doc/install) and run this again." >&2
  exit 1
fi

echo "installing kustomize ($KUSTOMIZE_MODULE $KUSTOMIZE_VERSION) into $tools with go install (once)..." >&2
mkdir -p "$tools"
if ! GOBIN="$tools" GOFLAGS="${GOFLAGS:-} -buildvcs=false" go install "$KUSTOMIZE_MODULE@$KUSTOMIZE_VERSION" >&2; then
  echo "go install $KUSTOMIZE_MODULE@$KUSTOMIZE_VERSION failed (see above)." >&2
  echo "Check that the Go module proxy is reachable (GOPROXY=$(go env GOPROXY))." >&2
  exit 1
fi
matches "$tools/kustomize" || { echo "built $tools/kustomize but it is not $KUSTOMIZE_MODULE $KUSTOMIZE_VERSION" >&2; exit 1; }
echo "$tools/kustomize"
