#!/usr/bin/env bash
# Prints the path of a Chromium for the console's browser tests, installing Debian's package when
# none is there (idempotent; browser downloads by playwright are not used). Needs root or sudo to install.
set -euo pipefail
for candidate in "${CHROMIUM_PATH:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then
    echo "$candidate"
    exit 0
  fi
done
echo "chromium: not found; installing Debian's chromium package" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends chromium >&2 || {
  $sudo apt-get -o DPkg::Lock::Timeout=600 update >&2
  $sudo apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends chromium >&2
}
command -v chromium
