#!/usr/bin/env bash
# Prints the directory of PostgreSQL's server binaries (initdb, pg_ctl), installing Debian's
# `postgresql` package first when they are missing. Idempotent: does nothing when already present.
# The tests create throw-away clusters with these binaries (test/helpers/postgres-cluster.ts).
set -euo pipefail

find_bindir() {
  local dir
  if command -v pg_config >/dev/null 2>&1; then
    dir="$(pg_config --bindir 2>/dev/null || true)"
    if [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
  fi
  # Debian keeps the server binaries out of PATH, one directory per major version: take the newest.
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
  done
  return 1
}

if find_bindir; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "PostgreSQL server binaries are missing and only root can install them (apt-get install postgresql)" >&2
  exit 1
fi
echo "installing Debian's postgresql package (for the PostgreSQL backend's tests)" >&2
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y postgresql >&2 ||
  { apt-get -o DPkg::Lock::Timeout=600 update >&2 &&
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y postgresql >&2; }
find_bindir
