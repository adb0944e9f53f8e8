import { readFileSync } from 'node:fs';

/** Resident memory of a process, from /proc/<pid>/status (Linux). */
export interface ProcMemory {
  /** VmRSS: resident now, bytes. */
  rss: number;
  /** VmHWM: the peak resident set since the process started, bytes. */
  peakRss: number;
}

/** Returns the process's current and peak RSS, or undefined where /proc is not available. */
export function procMemory(pid: number): ProcMemory | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peakRss: kb('VmHWM') };
}
