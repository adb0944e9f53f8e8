import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { procMemory } from './proc-memory';

/** A server under test, running as a child process on loopback. */
export interface ServerProcess {
  name: string;
  /** http://127.0.0.1:<port> */
  baseUrl: string;
  pid: number;
  child: ChildProcess;
  /** Peak resident set of the process so far (VmHWM), bytes; NaN where /proc is missing. */
  peakRss(): number;
  /** Sends SIGTERM and resolves when the process has exited (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

/** How to start one server. */
export interface ServerSpec {
  name: string;
  command: string;
  args: string[];
  port: number;
  /** A path that answers 200 once the server can take requests. */
  readyPath: string;
  options?: SpawnOptions;
}

// Servers still running when the benchmark dies (an error, Ctrl-C) are killed with it, not orphaned.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => process.exit(130));
}

/** Starts a server and resolves once `readyPath` answers 200; rejects with its stderr if it exits or takes over 30 s. */
export async function startServer(spec: ServerSpec): Promise<ServerProcess> {
  const child = spawn(spec.command, spec.args, { stdio: ['ignore', 'ignore', 'pipe'], ...spec.options });
  running.add(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  const baseUrl = `http://127.0.0.1:${spec.port}`;
  const deadline = Date.now() + 30_000;
  let ready = false;
  while (!ready) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `${spec.name} exited before it was ready (${child.exitCode ?? child.signalCode}):\n${stderr}`,
      );
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${spec.name} was not ready within 30 s:\n${stderr}`);
    }
    ready = await fetch(`${baseUrl}${spec.readyPath}`).then(
      (res) => res.status === 200,
      () => false,
    );
    if (!ready) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    name: spec.name,
    baseUrl,
    pid: child.pid!,
    child,
    peakRss: () => procMemory(child.pid!)?.peakRss ?? NaN,
    stop: async (graceMs = 15_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
