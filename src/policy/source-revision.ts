import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

// The files that make a policy: its Rego and its data, not its tests (they are not in the bundle).
const POLICY_FILE = /\.(rego|json|ya?ml)$/;
const TEST_FILE = /_test\.rego$/;

/**
 * Returns the revision of a folder of policy sources: "rego-" and the first 12 hex digits of a SHA-256 over
 * every policy and data file, tests excluded, in a stable order. The same sources always give the same revision,
 * so a reply's `policy.revision` names exactly the Rego that decided. It is the revision scripts/rego-revision.sh
 * prints (`sha256sum` of each file, sorted by path, hashed again), so `npm run build:bundles` and
 * `modelgate bundle build` name one policy alike.
 */
export async function sourceRevision(dir: string): Promise<string> {
  const files = (await policyFiles(dir, '.')).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const listing = createHash('sha256');
  for (const file of files) {
    const digest = createHash('sha256')
      .update(await fs.readFile(path.join(dir, file)))
      .digest('hex');
    listing.update(`${digest}  ${file}\n`);
  }
  return `rego-${listing.digest('hex').slice(0, 12)}`;
}

async function policyFiles(root: string, relative: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await fs.readdir(path.join(root, relative), { withFileTypes: true })) {
    const name = `${relative}/${entry.name}`;
    if (entry.isDirectory()) found.push(...(await policyFiles(root, name)));
    else if (entry.isFile() && POLICY_FILE.test(entry.name) && !TEST_FILE.test(entry.name)) found.push(name);
  }
  return found;
}
