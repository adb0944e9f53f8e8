import { readdirSync, readFileSync } from 'node:fs';

/** Scheduler times of one thread (Linux schedstat): on a CPU, and runnable but waiting for one, in ns. */
export interface ThreadTimes {
  runNs: number;
  waitNs: number;
}

/** Scheduler times per thread of a process, by thread name (`<comm> (main) <tid>` for the main thread). */
export function threadTimes(pid: number): Map<string, ThreadTimes> {
  const out = new Map<string, ThreadTimes>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
    const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
    out.set(tid === String(pid) ? `${comm} (main) ${tid}` : `${comm} ${tid}`, {
      runNs: run ?? 0,
      waitNs: wait ?? 0,
    });
  }
  return out;
}

/** CPU time per thread of a process, in ns, by thread name. */
export function threadCpu(pid: number): Map<string, number> {
  return new Map([...threadTimes(pid)].map(([name, times]) => [name, times.runNs]));
}
