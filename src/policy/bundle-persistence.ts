import { promises as fs } from 'node:fs';
import path from 'node:path';

/** The last activated remote bundle as kept on disk, with what the next request needs. */
export interface PersistedBundle {
  body: Buffer;
  etag: string | null;
  downloadedAtMs: number;
}

const BUNDLE_FILE = 'bundle.tar.gz';
const META_FILE = 'bundle.json';

/** Returns the persisted bundle in `dir`, or undefined when there is none (or it is unreadable). */
export async function readPersistedBundle(dir: string): Promise<PersistedBundle | undefined> {
  try {
    const body = await fs.readFile(path.join(dir, BUNDLE_FILE));
    const metaText = await fs.readFile(path.join(dir, META_FILE), 'utf8').catch(() => '{}');
    const meta = JSON.parse(metaText) as { etag?: string | null; downloaded_at?: string };
    return { body, etag: meta.etag ?? null, downloadedAtMs: Date.parse(meta.downloaded_at ?? '') || 0 };
  } catch {
    return undefined;
  }
}

/**
 * Keeps a bundle that was just activated. Written to temp files, flushed, then renamed: a crash
 * leaves the previous copy or the new one, never half of either. The old metadata goes first, so a
 * stale ETag never stands beside new bytes (without one, the next request simply downloads again).
 */
export async function persistBundle(dir: string, bundle: PersistedBundle): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await fs.rm(path.join(dir, META_FILE), { force: true });
  await writeDurably(path.join(dir, BUNDLE_FILE), bundle.body);
  const meta = { etag: bundle.etag, downloaded_at: new Date(bundle.downloadedAtMs).toISOString() };
  await writeDurably(path.join(dir, META_FILE), Buffer.from(`${JSON.stringify(meta)}\n`));
}

async function writeDurably(file: string, content: Buffer): Promise<void> {
  const partial = `${file}.partial`;
  const handle = await fs.open(partial, 'w', 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(partial, file);
}
