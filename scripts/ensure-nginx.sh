#!/usr/bin/env bash
# Prints the path of an nginx binary, installing Debian's nginx-light if none is found.
# The bundle-server tests use a real nginx as the plain static server an OPA bundle service can be.
# Progress goes to stderr so callers can use: NGINX="$(scripts/ensure-nginx.sh)".
set -euo pipefail

find_nginx() { command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; }; }

if found="$(find_nginx)"; then echo "$found"; exit 0; fi

if command -v apt-get >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  echo "installing nginx-light (for the bundle-server tests)" >&2
  if $sudo apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends nginx-light >&2 \
    || { $sudo apt-get update >&2 && $sudo apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends nginx-light >&2; }; then
    # The package starts a system nginx on port 80; the tests run their own.
    $sudo systemctl disable --now nginx >/dev/null 2>&1 || $sudo service nginx stop >/dev/null 2>&1 || true
    if found="$(find_nginx)"; then echo "$found"; exit 0; fi
  fi
fi
echo "modelgate's bundle-server tests need nginx: install it (Debian/Ubuntu: apt-get install nginx-light)" >&2
exit 1
