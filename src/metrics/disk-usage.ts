import { statfsSync, statSync } from 'node:fs';
import path from 'node:path';

/** Sizes of the audit database and of the file system that holds it, in bytes. */
export interface DiskUsage {
  databaseBytes: number;
  freeBytes: number;
  totalBytes: number;
}

/** Returns the size of the SQLite file with its WAL and shared-memory files, and the free space beside it. */
export function diskUsage(dbFile: string): DiskUsage {
  // In WAL mode committed records sit in -wal until a checkpoint: the database is all three files.
  const databaseBytes = [dbFile, `${dbFile}-wal`, `${dbFile}-shm`].reduce(
    (sum, file) => sum + fileSize(file),
    0,
  );
  const fs = statfsSync(path.dirname(dbFile));
  // bavail, not bfree: what an unprivileged writer such as modelgate can still use.
  return { databaseBytes, freeBytes: fs.bavail * fs.bsize, totalBytes: fs.blocks * fs.bsize };
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
