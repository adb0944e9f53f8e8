# Sourced by scripts/ensure-<tool>.sh. ensure_go_tool prints the path of a Go tool built from a pinned module,
# installing it if needed:
#   reuse: .tools/bin/<name>, or a <name> on PATH, built from <module> at <version> (`go version -m` tells)
#   build: `go install [flags] <package>@<version>` into .tools/bin (once)
# Progress goes to stderr so callers can use: TOOL="$(scripts/ensure-<tool>.sh)".
# Usage: ensure_go_tool NAME MODULE VERSION PACKAGE WHY [go install flags...]
#   WHY completes "NAME is needed to …" in the message shown when there is no Go to build it with.

ensure_go_tool() {
  local name="$1" module="$2" version="$3" package="$4" why="$5"
  shift 5
  local root tools on_path
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  tools="$root/.tools/bin"

  # `go version -m` reads the module versions a Go binary was built from.
  matches() {
    [ -x "$1" ] && command -v go >/dev/null 2>&1 &&
      go version -m "$1" 2>/dev/null | awk -v m="$module" -v v="$version" \
        '$1 == "mod" && $2 == m && $3 == v { found = 1 } END { exit !found }'
  }

  if matches "$tools/$name"; then echo "$tools/$name"; return 0; fi
  if on_path="$(command -v "$name" 2>/dev/null)" && matches "$on_path"; then echo "$on_path"; return 0; fi

  if ! command -v go >/dev/null 2>&1; then
    echo "$name ($module $version) is needed to $why, and there is no Go" >&2
    echo "toolchain to build it with. Install Go (https://go.dev/doc/install) and run this again." >&2
    return 1
  fi

  echo "installing $name ($module $version) into $tools with go install (once)..." >&2
  mkdir -p "$tools"
  if ! GOBIN="$tools" GOFLAGS="${GOFLAGS:-} -buildvcs=false" go install "$@" "$package@$version" >&2; then
    echo "go install $package@$version failed (see above)." >&2
    echo "Check that the Go module proxy is reachable (GOPROXY=$(go env GOPROXY))." >&2
    return 1
  fi
  matches "$tools/$name" || { echo "built $tools/$name but it is not $module $version" >&2; return 1; }
  echo "$tools/$name"
}
