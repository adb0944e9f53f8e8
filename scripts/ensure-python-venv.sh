#!/usr/bin/env bash
# Usage: scripts/ensure-python-venv.sh <name>  (mcp | litellm)
# Creates .tools/venv-<name> from integrations/<name>/requirements.txt, with every transitive version
# fixed by constraints.txt beside it, once; prints its python. The venv is rebuilt only when one of the
# two files changes (their hash is kept beside the venv).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
name="$1"
req="$root/integrations/$name/requirements.txt"
constraints="$root/integrations/$name/constraints.txt"
venv="$root/.tools/venv-$name"
stamp="$venv/.requirements.sha256"
want="$(cat "$req" "$constraints" | sha256sum | cut -d' ' -f1)"
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "$venv/bin/python"
  exit 0
fi
if ! command -v python3 >/dev/null || ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  apt-get -o DPkg::Lock::Timeout=600 install -y python3 python3-venv >&2
fi
rm -rf "$venv"
python3 -m venv "$venv" >&2
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" -c "$constraints" >&2
echo "$want" >"$stamp"
echo "$venv/bin/python"
