import { promises as fs, statSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { ActiveBundle } from './active-bundle';
import { readBundleFiles } from './bundle';
import type { BundleSource } from './bundle-source';

const DEBOUNCE_MS = 250;
const RETRY_MS = 5_000;

/**
 * A bundle file or folder on disk, read at start, on SIGHUP, and (when watched) after it changes.
 * A change is acted on only once the file has been quiet for the debounce time and its size and
 * mtime did not move meanwhile; the strict tar reader then refuses a half-written archive, so a
 * copy in progress is never activated. Writing to a temp name and renaming remains the safe way.
 */
export class FileBundleSource implements BundleSource {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private lastSeen = '';
  private stopped = false;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly active: ActiveBundle,
    private readonly options: { path: string; watch: boolean; debounceMs?: number; now?: () => number },
  ) {}

  async start(): Promise<void> {
    if (this.options.watch) this.startWatching();
    await this.reload().catch(() => this.retryUntilLoaded());
  }

  // Reloads run one after another (a change and a SIGHUP may coincide): an older read must never
  // finish activating after a newer one.
  reload(): Promise<void> {
    const next = this.queue.then(() => this.readAndActivate());
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async readAndActivate(): Promise<void> {
    const now = (this.options.now ?? Date.now)();
    this.active.noteRequest(now);
    let files;
    try {
      files = await readBundleFiles(this.options.path);
    } catch (err) {
      this.active.noteError(err, this.origin());
      throw err;
    }
    await this.active.activate(files, { origin: this.origin(), downloadedAtMs: now });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    clearTimeout(this.timer);
    clearInterval(this.retry);
  }

  private origin(): string {
    return `file:${this.options.path}`;
  }

  // The parent folder is watched, not the file: an atomic rename replaces the file's inode, which a
  // watch on the file itself would miss.
  // A folder bundle is watched itself, recursively.
  private startWatching(): void {
    const target = this.options.path;
    const dir = path.dirname(target);
    const base = path.basename(target);
    try {
      this.watcher = isFolder(target)
        ? watch(target, { recursive: true }, () => this.schedule())
        : watch(dir, { recursive: false }, (_event, name) => {
            if (name === null || name.startsWith(base)) this.schedule();
          });
      this.watcher.on('error', () => undefined);
      this.watcher.unref();
    } catch {
      // No watch on this file system: SIGHUP still reloads.
    }
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.settle(), this.options.debounceMs ?? DEBOUNCE_MS);
    this.timer.unref();
  }

  // Acts only when the file looks the same twice in a row, debounce time apart.
  private async settle(): Promise<void> {
    if (this.stopped) return;
    const seen = await fingerprint(this.options.path);
    if (seen === 'missing') return;
    if (seen !== this.lastSeen) {
      this.lastSeen = seen;
      this.schedule();
      return;
    }
    await this.reload().catch(() => undefined);
  }

  private retryUntilLoaded(): void {
    if (this.stopped || this.active.current()) return;
    this.retry = setInterval(() => {
      if (this.active.current()) return clearInterval(this.retry);
      this.reload().catch(() => undefined);
    }, RETRY_MS);
    this.retry.unref();
  }
}

function isFolder(location: string): boolean {
  try {
    return statSync(location).isDirectory();
  } catch {
    return false;
  }
}

// Size, mtime and inode of the file, or of every file in the folder: what "has not moved" means.
async function fingerprint(location: string): Promise<string> {
  try {
    const stat = await fs.stat(location);
    if (!stat.isDirectory()) return `${stat.size}:${stat.mtimeMs}:${stat.ino}`;
    const entries = await fs.readdir(location, { recursive: true, withFileTypes: true });
    const parts = await Promise.all(
      entries
        .filter((e) => e.isFile())
        .map(async (e) => {
          const s = await fs.stat(path.join(e.parentPath, e.name));
          return `${e.parentPath}/${e.name}:${s.size}:${s.mtimeMs}`;
        }),
    );
    return parts.sort().join('|');
  } catch {
    return 'missing';
  }
}
