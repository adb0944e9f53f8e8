#!/usr/bin/env node
// `npm run modelgate -- …`: runs the compiled CLI, or says in one line how to build it first.
const { existsSync } = require('node:fs');
const path = require('node:path');

const main = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
if (!existsSync(main)) {
  process.stderr.write(
    'modelgate is not built yet: run `npm run build` (or `npm start`, which builds) first.\n',
  );
  process.exit(1);
}
require(main).runCli();
