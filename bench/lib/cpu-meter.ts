import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

// Linux reports CPU time in clock ticks; USER_HZ is 100 on every mainstream distribution.
const TICKS_PER_SECOND = 100;

/** CPU counters at one moment: the whole machine and some processes. */
export interface CpuSnapshot {
  atMs: number;
  /** Ticks every CPU spent busy (not idle, not waiting for I/O) since boot. */
  machineBusy: number;
  /** Ticks the hypervisor gave our virtual CPUs to someone else. */
  steal: number;
  /** Ticks of user + system time per process (all its threads), since it started. */
  processes: Map<number, number>;
}

/** CPU used between two snapshots, in cores (1 = one core busy the whole time). */
export interface CpuUsage {
  seconds: number;
  machine: number;
  /** Time the hypervisor took away (a busy host), in cores. */
  steal: number;
  /** Per process given to the snapshot. */
  processes: Map<number, number>;
  /** Machine minus the processes measured: work we did not start (other jobs on the box). */
  other: number;
}

/**
 * Returns the machine's and the given processes' CPU counters (Linux /proc; zeros elsewhere). A pid in `trees`
 * counts with every process under it, those that ended included (a database server's backends and workers).
 */
export function cpuSnapshot(pids: number[], trees: number[] = []): CpuSnapshot {
  const processes = new Map<number, number>();
  for (const pid of pids) processes.set(pid, processTicks(pid));
  for (const pid of trees) processes.set(pid, treeTicks(pid));
  const { busy, steal } = machineTicks();
  return { atMs: performance.now(), machineBusy: busy, steal, processes };
}

/** Returns the CPU used from `a` to `b`. */
export function cpuUsage(a: CpuSnapshot, b: CpuSnapshot): CpuUsage {
  const seconds = (b.atMs - a.atMs) / 1000;
  const cores = (ticks: number) => ticks / TICKS_PER_SECOND / seconds;
  const processes = new Map<number, number>();
  let ours = 0;
  for (const [pid, ticks] of b.processes) {
    const used = cores(ticks - (a.processes.get(pid) ?? ticks));
    processes.set(pid, used);
    ours += used;
  }
  const machine = cores(b.machineBusy - a.machineBusy);
  return { seconds, machine, steal: cores(b.steal - a.steal), processes, other: Math.max(0, machine - ours) };
}

function machineTicks(): { busy: number; steal: number } {
  try {
    // user nice system idle iowait irq softirq steal guest guest_nice
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const at = (i: number) => f[i] ?? 0;
    return { busy: at(0) + at(1) + at(2) + at(5) + at(6), steal: at(7) };
  } catch {
    return { busy: 0, steal: 0 };
  }
}

/**
 * Returns the user + system ticks of one thread of a process since it started (Linux /proc; 0
 * elsewhere). The main thread's id is the process id.
 */
export function threadTicks(pid: number, tid: number): number {
  return processTicks(`${pid}/task/${tid}`);
}

function processTicks(pid: number | string): number {
  const fields = statFields(pid);
  return fields ? Number(fields[11]) + Number(fields[12]) : 0; // utime, stime (fields 14 and 15 of stat)
}

// A process's own ticks and those of its children that ended and were waited for (cutime, cstime), plus the
// same for every live child, recursively: what a process tree used since it started, ended children included.
function treeTicks(pid: number): number {
  const fields = statFields(pid);
  if (!fields) return 0;
  let ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  for (const child of childrenOf(pid)) ticks += treeTicks(child);
  return ticks;
}

function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8')
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number),
    );
  } catch {
    return [];
  }
}

function statFields(pid: number | string): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields are counted from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}
