#!/usr/bin/env bash
# Prints the path of a `kustomize` built from the pinned module, installing it if needed (about 30 s on 2 cores,
# once); see scripts/lib/ensure-go-tool.sh for where it looks first.
# test/deploy/kubernetes.test.ts renders deploy/kubernetes with it, as `kubectl apply -k` does with the kustomize
# built into kubectl. `kustomize build` of local folders needs no network.
# Progress goes to stderr so callers can use: KUSTOMIZE="$(scripts/ensure-kustomize.sh)".
set -euo pipefail
source "$(dirname "$0")/lib/ensure-go-tool.sh"

KUSTOMIZE_VERSION="${KUSTOMIZE_VERSION:-v5.7.1}"
KUSTOMIZE_MODULE=sigs.k8s.io/kustomize/kustomize/v5
ensure_go_tool kustomize "$KUSTOMIZE_MODULE" "$KUSTOMIZE_VERSION" "$KUSTOMIZE_MODULE" 'render deploy/kubernetes'
