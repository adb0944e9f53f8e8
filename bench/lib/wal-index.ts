import { closeSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';

/** The first `bytes` bytes of a file, without reading the rest (a WAL or its index can be large). */
export function readHead(file: string, bytes: number): Buffer {
  const head = Buffer.alloc(bytes);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, bytes, 0);
  } finally {
    closeSync(fd);
  }
  return head;
}

/**
 * Returns how many frames an SQLite database's WAL holds and how many a checkpoint has copied back, read from its
 * wal-index (the -shm file) in SQLite's documented layout (sqlite.org/walformat.html): the header's mxFrame at
 * byte 16 and the checkpoint's nBackfill at byte 96, in the machine's byte order. Reads 100 bytes, not the file.
 */
export function walProgress(dbFile: string): { frames: number; copied: number } {
  const header = readHead(`${dbFile}-shm`, 100);
  const read = (offset: number) =>
    endianness() === 'LE' ? header.readUInt32LE(offset) : header.readUInt32BE(offset);
  return { frames: read(16), copied: read(96) };
}
