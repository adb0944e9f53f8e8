import { closeSync, ftruncateSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { BundleError, readBundleFiles, readTarball } from '../../src/policy/bundle';

// An attacker who controls the bundle server, or can write into the bundle folder, sends a small
// .tar.gz that inflates to far more than a bundle. This happens before any signature check, so it
// must neither exhaust memory nor stall the event loop that every decision runs on.

/** Returns a 512-byte ustar header for one entry of the given size and type flag. */
function tarHeader(name: string, size: number, type: string): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

/** Returns a gzipped tar of one entry of `mib` MiB of zeros (about 1 KiB per MiB once compressed). */
function bomb(mib: number, type: string): Buffer {
  const size = mib * 1024 * 1024;
  return gzipSync(Buffer.concat([tarHeader('big', size, type), Buffer.alloc(size), Buffer.alloc(1024)]));
}

/** Returns the longest time the event loop was blocked while `work` ran, and its outcome. */
async function longestStall(work: () => Promise<unknown>): Promise<{ stallMs: number; outcome: unknown }> {
  let last = Date.now();
  let stallMs = 0;
  const timer = setInterval(() => {
    stallMs = Math.max(stallMs, Date.now() - last);
    last = Date.now();
  }, 5);
  const outcome = await work().catch((err: unknown) => err);
  stallMs = Math.max(stallMs, Date.now() - last);
  clearInterval(timer);
  return { stallMs, outcome };
}

describe('a gzip bomb in place of a bundle', () => {
  it('a directory entry with a large body does not stall decisions', async () => {
    const gz = bomb(24, '5');
    expect(gz.length).toBeLessThan(64 * 1024);
    const { stallMs, outcome } = await longestStall(() => readTarball(gz, 'bomb.tar.gz'));
    expect(stallMs).toBeLessThan(1000);
    // Nothing usable is in it: read as an empty bundle, which parseBundle then refuses (no policy.wasm).
    expect(outcome instanceof Map ? outcome.size : outcome).toBe(0);
  }, 120_000);

  it('a file that inflates past the size limit is refused without stalling decisions', async () => {
    const gz = bomb(600, '0');
    expect(gz.length).toBeLessThan(1024 * 1024);
    const { stallMs, outcome } = await longestStall(() => readTarball(gz, 'bomb.tar.gz'));
    expect(outcome).toBeInstanceOf(BundleError);
    expect((outcome as Error).message).toMatch(/bomb\.tar\.gz: .*larger than 268435456 bytes/);
    expect(stallMs).toBeLessThan(1000);
  }, 120_000);
});

describe('a bundle folder past the size limit', () => {
  it('is refused before its files are read into memory, as a tarball of that size is', async () => {
    // A build that drops a large artefact (or a runaway log) into the watched folder: every file would be read
    // into memory and kept there beside the policy in force.
    const folder = mkdtempSync(path.join(os.tmpdir(), 'mg-big-folder-'));
    writeFileSync(path.join(folder, 'data.json'), '{}');
    const artefact = openSync(path.join(folder, 'build.log'), 'w');
    ftruncateSync(artefact, 300 * 1024 * 1024); // sparse: no disk space taken
    closeSync(artefact);
    const refusal = await readBundleFiles(folder).catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(BundleError);
    expect((refusal as Error).message).toMatch(/larger than 268435456 bytes/);
  });
});
