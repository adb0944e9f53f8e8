import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * Raises the nice value of the calling thread (not of the process) to at least `nice`, so that the
 * kernel gives the other threads the CPU first when they want it. Linux only: there a thread is a
 * task with an id of its own, which /proc/thread-self names and setpriority accepts. Returns the nice
 * value the thread now runs at, or null where threads cannot be told apart (other systems).
 * A thread is never given a lower nice value than it has: that would need privileges, and a process
 * started with `nice` keeps what its operator chose.
 */
export function niceThisThread(nice: number): number | null {
  let tid: number;
  try {
    // "<pid>/task/<tid>"
    tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return null;
  }
  if (!Number.isSafeInteger(tid) || tid <= 0) return null;
  const current = getPriority(tid);
  if (current < nice) setPriority(tid, nice);
  return getPriority(tid);
}
