#!/usr/bin/env bash
# Prints the sha256 of everything the gitleaks rule file is generated from: the generator's sources, its
# go.mod/go.sum (which pin the upstream version and its checksum) and the overlay files.
set -euo pipefail
cd "$(dirname "$0")/gitleaks-rules"
find . -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' -o -name '*.overlay' \) | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1
