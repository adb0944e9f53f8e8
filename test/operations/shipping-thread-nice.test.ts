import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DecisionLogsConfig } from '../../src/config/config';
import { loadConfig } from '../../src/config/load-config';
import { ConfigError } from '../../src/errors';
import { startTestService } from '../helpers/service';

// A value no thread of the test process runs at on its own: the one found at it is the shipping thread.
const NICE = 13;

// The nice value of every thread of this process, by thread id (Linux /proc: field 19 of stat).
function threadNices(): Map<number, number> {
  const nices = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    // The command name may hold spaces and parentheses: fields are counted from the last ')'.
    nices.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
  }
  return nices;
}

const atNice = () => [...threadNices()].filter(([, nice]) => nice === NICE).map(([tid]) => tid);

const linux = process.platform === 'linux' ? describe : describe.skip;

linux('the decision-log shipping thread runs at decision_logs.thread_nice', () => {
  it('lowers the priority of the shipping thread only, and not the threads that serve decisions', async () => {
    // Preconditions: the process runs below NICE (a thread cannot be given a lower nice than it has)
    // and no thread is at NICE yet.
    expect(os.getPriority()).toBeLessThan(NICE);
    expect(atNice()).toEqual([]);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-shipping-nice-'));
    const decisionLogs: DecisionLogsConfig = {
      file: { path: path.join(dir, 'decisions.jsonl') },
      cursorDir: dir,
      labels: {},
      maxEvents: 10,
      maxBytes: 1024 * 1024,
      maxDelayMs: 20,
      minRetryDelayMs: 20,
      maxRetryDelayMs: 200,
      threadNice: NICE,
    };
    const before = threadNices();
    const svc = await startTestService({ db: path.join(dir, 'nice.db'), decisionLogs });
    try {
      const niced = atNice();
      expect(niced).toHaveLength(1);
      // It is a thread the service started, not one that was there before.
      expect(before.has(niced[0]!)).toBe(false);
      // The thread that serves decisions (this process's main thread) keeps its priority.
      expect(threadNices().get(process.pid)).toBe(before.get(process.pid));
      // And it still ships: a decision reaches the file sink.
      const res = await svc.post('/v1/decide', {
        invocation: {
          model: 'anthropic.claude-sonnet',
          provider: 'bedrock',
          operation: 'chat',
          max_tokens: 8,
        },
      });
      expect(res.body.decision_id).toBeDefined();
      const file = path.join(dir, 'decisions.jsonl');
      const deadline = Date.now() + 20_000;
      let shipped = '';
      while (!shipped.includes(res.body.decision_id as string)) {
        if (Date.now() > deadline) throw new Error('the decision was not shipped');
        await new Promise((resolve) => setTimeout(resolve, 25));
        try {
          shipped = readFileSync(file, 'utf8');
        } catch {
          shipped = '';
        }
      }
    } finally {
      await svc.close();
    }
    expect(atNice()).toEqual([]);
  });
});

describe('decision_logs.thread_nice in the config file', () => {
  const load = (decisionLogs: Record<string, unknown>) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-config-nice-'));
    const file = path.join(dir, 'modelgate.json');
    writeFileSync(
      file,
      JSON.stringify({ decision_logs: { file: { path: 'decisions.jsonl' }, ...decisionLogs } }),
    );
    return loadConfig({ MODELGATE_CONFIG: file }, dir);
  };

  it('is 19 unless set: shipping yields the CPU to decisions by default', () => {
    expect(load({}).decisionLogs?.threadNice).toBe(19);
    expect(load({ thread_nice: 0 }).decisionLogs?.threadNice).toBe(0);
  });

  it('refuses a value outside 0..19, naming the key', () => {
    expect(() => load({ thread_nice: 20 })).toThrow(ConfigError);
    expect(() => load({ thread_nice: -1 })).toThrow(/decision_logs\.thread_nice/);
  });
});
