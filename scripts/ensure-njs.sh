#!/usr/bin/env bash
# Prints the path of nginx's njs module, installing Debian's libnginx-mod-http-js at the pinned version if it is
# not installed at that version. The nginx gateway integration (integrations/nginx/) runs on it; its end-to-end
# test loads it into a real nginx. The pin is the version Debian bookworm ships for its nginx 1.22.1: the module
# is built for one nginx ABI, so apt installs it only beside the nginx it was built for.
# Progress goes to stderr so callers can use: NJS="$(scripts/ensure-njs.sh)".
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
package=libnginx-mod-http-js
version=0.7.9-2
module=/usr/lib/nginx/modules/ngx_http_js_module.so

installed() { dpkg-query -W -f '${Status} ${Version}' "$package" 2>/dev/null || true; }

"$root/scripts/ensure-nginx.sh" >/dev/null

if [ "$(installed)" != "install ok installed $version" ]; then
  command -v apt-get >/dev/null 2>&1 || {
    echo "the nginx gateway needs njs: install $package $version (Debian bookworm)" >&2
    exit 1
  }
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  echo "installing $package=$version (njs, for the nginx gateway integration)" >&2
  # An out-of-date package list does not know the version yet: refresh it once and try again.
  $sudo apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "$package=$version" >&2 \
    || { $sudo apt-get update >&2 && $sudo apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "$package=$version" >&2; }
  # The package may start the system nginx; the tests run their own.
  $sudo systemctl disable --now nginx >/dev/null 2>&1 || $sudo service nginx stop >/dev/null 2>&1 || true
fi

if [ "$(installed)" != "install ok installed $version" ] || [ ! -f "$module" ]; then
  echo "$package $version is not installed (dpkg: $(installed)), or $module is missing" >&2
  exit 1
fi
echo "$module"
