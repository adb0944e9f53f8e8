#!/usr/bin/env bash
# Builds the reviewer console into dist/console (served at /console): type-checks src/console/app,
# bundles it with its vendored libraries (preact, htm, uPlot from node_modules) into one app.js,
# and copies the page, its stylesheet and uPlot's stylesheet beside it. Nothing is loaded from
# outside the service at run time.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="dist/console"
# Incremental: an unchanged console is not type-checked again on every `npm start`; the record lives in dist/,
# so removing dist/ rebuilds everything.
npx tsc -p src/console/app/tsconfig.json --incremental --tsBuildInfoFile "$out/.tsbuildinfo"
mkdir -p "$out"
npx esbuild src/console/app/main.ts --bundle --format=esm --target=es2022 --minify --sourcemap \
  --legal-comments=linked --outfile="$out/app.js" --log-level=warning
cp src/console/page/index.html src/console/page/console.css "$out/"
cp node_modules/uplot/dist/uPlot.min.css "$out/uplot.css"
echo "console: built $out"
