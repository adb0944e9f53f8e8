#!/usr/bin/env bash
# Contract fuzzing (issue #13): schemathesis from PyPI, in a project-local virtualenv under .tools/,
# against a real modelgate (dist/, development issuer, a temp SQLite file) with a valid token holding the
# auditor and approver scopes. Every operation of /openapi.json, MAX_EXAMPLES generated cases each; every
# check of schemathesis (server errors, undocumented statuses, response schemas, schema-valid requests
# taken and invalid ones refused, 405 and Allow for methods a path does not take, ...), with the exceptions
# in scripts/schemathesis.toml. Prints "api fuzz: N passed, N failed" (operations) for npm test's tally;
# exits non-zero on a failure.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
version="4.32.5"
venv="$root/.tools/schemathesis"
max_examples="${MAX_EXAMPLES:-200}"

fail() { echo "api fuzz: $1"; echo "api fuzz: 0 passed, 1 failed"; exit 1; }

# python3-venv is a separate Debian package; a fresh machine may lack it (we run as root in CI).
if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  command -v apt-get >/dev/null || fail "python3 venv support is missing and apt-get is not available"
  apt-get -o DPkg::Lock::Timeout=600 install -y python3-venv >/dev/null ||
    { apt-get update >/dev/null && apt-get -o DPkg::Lock::Timeout=600 install -y python3-venv >/dev/null; } ||
    fail "cannot install python3-venv"
fi
if [ "$("$venv/bin/st" --version 2>/dev/null)" != "st, version $version" ]; then
  echo "── installing schemathesis $version into .tools/schemathesis"
  rm -rf "$venv"
  python3 -m venv "$venv" || fail "cannot create the virtualenv"
  "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$version" || fail "cannot install schemathesis"
fi
[ -f dist/cli/main.js ] || npx tsc -p tsconfig.json || fail "build failed"

work="$(mktemp -d)"
# The shipped policy plus the AuthZEN Todo policy of the tests, so the AuthZEN routes are fuzzed against a
# configured entrypoint (with the shipped bundle alone they answer 503 policy_unavailable, by design).
opa="$(scripts/ensure-opa.sh)" || fail "cannot find OPA"
"$opa" build -t wasm -e modelgate/decision -e modelgate/limits -e modelgate/approve -e todo/decision \
  --ignore '*_test.rego' -o "$work/fuzz-bundle.tar.gz" rego/ test/authzen/todo-policy/ ||
  fail "cannot build the fuzz bundle"
printf 'bundle: fuzz-bundle.tar.gz\nauthzen:\n  entrypoint: todo/decision\n' >"$work/config.yaml"
port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
MODELGATE_CONFIG="$work/config.yaml" PORT="$port" HOST=127.0.0.1 MODELGATE_DB="$work/modelgate.db" \
  MODELGATE_DATA_DIR="$work/data" LOG_LEVEL=error \
  node dist/cli/main.js serve >"$work/server.log" 2>&1 &
server=$!
cleanup() { kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fs "http://127.0.0.1:$port/ready" >/dev/null || { cat "$work/server.log"; fail "the service did not become ready"; }
# A subject the shipped policy entitles (the document's examples are its calls), so that decisions are allowed
# and the stateful phase reports their usage; the approver scope, so that approve and deny pass their scope check.
token="$(node dist/cli/main.js token --sub spiffe://corp/support/reply-bot --scope invoke:support \
  --scope modelgate:audit --scope modelgate:approve --data-dir "$work/data")" || fail "cannot mint a token"

# From the temp folder: schemathesis keeps a cache (.schemathesis/) in its working directory.
# Every check and every phase, as a plain `st run` does; scripts/schemathesis.toml names the two exceptions.
# One worker: with two threads, CPython 3.11's ast.parse failed at random inside hypothesis in the coverage
# phase ("AST constructor recursion depth mismatch"); the service is the bottleneck, so it takes as long.
(cd "$work" && "$venv/bin/st" --config-file "$root/scripts/schemathesis.toml" \
  run "http://127.0.0.1:$port/openapi.json" \
  --header "Authorization: Bearer $token" \
  --max-examples "$max_examples" --seed 13 --workers 1 --no-color \
  --report junit --report-junit-path "$work/junit.xml") 2>&1 | tee "$work/st.log"
status=${PIPESTATUS[0]}
# One line per operation in the JUnit report: a testcase, failed when it holds a <failure> or <error>.
total="$(grep -o '<testcase' "$work/junit.xml" 2>/dev/null | wc -l)"
failed="$(grep -oE '<testcase[^>]*>[[:space:]]*<(failure|error)' "$work/junit.xml" 2>/dev/null | wc -l)"
grep -oE '<testcase [^>]*name="[^"]*"' "$work/junit.xml" 2>/dev/null | sed -E 's/.*name="([^"]*)"/  tested: \1/'
[ "$status" -eq 0 ] || [ "$failed" -gt 0 ] || failed=1
echo "api fuzz: $((total - failed)) passed, $failed failed"
exit "$status"
