import { readdirSync, readFileSync } from 'node:fs';

/**
 * Scheduler figures of one thread (Linux schedstat): time on a CPU and runnable but waiting for one, in ns, and
 * how many times it was put on a CPU (each wake from sleep is one).
 */
export interface ThreadTimes {
  runNs: number;
  waitNs: number;
  slices: number;
  /** CPU time in the kernel (system calls, I/O submission, faults), in ns, from `stat` (10 ms resolution). */
  systemNs: number;
}

/** Scheduler times per thread of a process, by thread name (`<comm> (main) <tid>` for the main thread). */
export function threadTimes(pid: number): Map<string, ThreadTimes> {
  const out = new Map<string, ThreadTimes>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
    const [run, wait, slices] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8')
      .split(' ')
      .map(Number);
    out.set(tid === String(pid) ? `${comm} (main) ${tid}` : `${comm} ${tid}`, {
      runNs: run ?? 0,
      waitNs: wait ?? 0,
      slices: slices ?? 0,
      systemNs: systemNs(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')),
    });
  }
  return out;
}

const NS_PER_TICK = 1e9 / 100; // USER_HZ is 100 on Linux

/** The `stime` field of a `/proc/.../stat` line; the command name before it may hold spaces, so count from its `)`. */
function systemNs(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[12]) * NS_PER_TICK;
}

/** CPU time per thread of a process, in ns, by thread name. */
export function threadCpu(pid: number): Map<string, number> {
  return new Map([...threadTimes(pid)].map(([name, times]) => [name, times.runNs]));
}
