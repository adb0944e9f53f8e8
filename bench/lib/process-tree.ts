import { readdirSync, readFileSync } from 'node:fs';

/** Returns `pid` and every live descendant of it (Linux /proc; just `[pid]` elsewhere). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of listProc()) {
    const parent = parentOf(entry);
    if (parent === undefined) continue;
    children.set(parent, [...(children.get(parent) ?? []), entry]);
  }
  const tree: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift()!;
    tree.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return tree;
}

/** Returns the pid of the PostgreSQL postmaster listening on `port` (found by its command line), or undefined. */
export function postmasterOnPort(port: number): number | undefined {
  for (const pid of listProc()) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const p = argv.indexOf('-p');
    if (argv[0]?.endsWith('/postgres') && p >= 0 && argv[p + 1] === String(port)) return pid;
  }
  return undefined;
}

function listProc(): number[] {
  try {
    return readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map(Number);
  } catch {
    return [];
  }
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields are counted from the last ')'.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}
