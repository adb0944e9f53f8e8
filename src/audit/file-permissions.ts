import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { ConfigError } from '../errors';

// POSIX modes only: on Windows, ACLs decide and the mode bits mean nothing.
const POSIX = process.platform !== 'win32';

/** Returns the SQLite files of a database: the file itself and, in WAL mode, its -wal and -shm files. */
export function databaseFiles(file: string): string[] {
  return [file, `${file}-wal`, `${file}-shm`];
}

/** Creates the folder (and its parents) with mode 0700 when missing; an existing folder is left as it is. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/**
 * Sets mode 0600 on those of the files that exist. SQLite gives a new -wal and -shm file the mode of
 * the database file, so restricting a new database before WAL mode is set covers all three.
 */
export function restrictToOwner(files: readonly string[]): void {
  if (!POSIX) return;
  for (const file of files) if (existsSync(file)) chmodSync(file, 0o600);
}

/**
 * Throws ConfigError when a file exists and its group or other users may read or write it: the audit
 * log holds who asked for what, and a private key signs checkpoints. Like ssh, refuse rather than use it.
 */
export function refuseShared(files: readonly string[], key: string): void {
  if (!POSIX) return;
  for (const file of files) {
    if (!existsSync(file)) continue;
    if ((statSync(file).mode & 0o077) !== 0) {
      throw new ConfigError(key, `${file} is readable by other users; run: chmod 600 ${file}`);
    }
  }
}

/**
 * Throws ConfigError unless a private key file is for its owner only (0600 or stricter), or, owned by root,
 * readable by its group at most (0640): the rule PostgreSQL applies to its server key, and how a Kubernetes
 * Secret volume holds a file (root, the pod's fsGroup, defaultMode 0440).
 */
export function refuseSharedKey(file: string, key: string): void {
  if (!POSIX || !existsSync(file)) return;
  const { mode, uid } = statSync(file);
  const shared = uid === 0 ? mode & 0o037 : mode & 0o077;
  if (shared !== 0) {
    throw new ConfigError(
      key,
      `${file} is readable by other users; run: chmod 600 ${file} (a root-owned file may be 0640)`,
    );
  }
}
