import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** Returns one line describing the machine and the toolchain: CPU, cores, memory, kernel, node, OPA. */
export function describeMachine(opa: string): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU';
  const opaVersion =
    execFileSync(opa, ['version'], { encoding: 'utf8' }).match(/^Version: (.+)$/m)?.[1] ?? '?';
  return (
    `${model}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ` +
    `${os.type()} ${os.release()}, node ${process.version}, OPA ${opaVersion}, disk of ${os.tmpdir()}: ${diskOf(os.tmpdir())}`
  );
}

// The file system the audit database lives on decides what an fsync costs: tmpfs makes it free.
function diskOf(dir: string): string {
  try {
    const mounts = readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((line) => line.split(' '))
      .filter((f) => f.length > 2 && dir.startsWith(f[1]!))
      .sort((x, y) => y[1]!.length - x[1]!.length);
    const best = mounts[0];
    return best ? `${best[2]} (${best[0]})` : 'unknown';
  } catch {
    return 'unknown';
  }
}
