import { join } from 'node:path';
import { runOnThread } from '../../src/threads/run-on-thread';

const dir = join(__dirname, 'fixtures');
const run = (act: string, deadlineMs?: number) =>
  runOnThread<{ echoed: unknown }>(dir, 'echo-thread', { act }, { what: 'the echo thread', deadlineMs });

describe('runOnThread', () => {
  it("resolves with the thread's first message", async () => {
    await expect(run('reply')).resolves.toEqual({ echoed: { act: 'reply' } });
  });

  it('rejects, naming the thread, when the thread throws', async () => {
    await expect(run('throw')).rejects.toThrow('the echo thread failed: thread broke');
  });

  it('rejects when the thread exits without answering, instead of waiting for ever', async () => {
    await expect(run('exit')).rejects.toThrow('the echo thread ended (exit code 3) without an answer');
  });

  it('rejects with the timeout error and stops the thread at its deadline', async () => {
    await expect(run('hang', 300)).rejects.toThrow('the echo thread did not finish within 300 ms');
  });
});
