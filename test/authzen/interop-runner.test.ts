import { runVectors, type VectorFile } from './interop-runner';

const vectors: VectorFile = {
  evaluation: [
    {
      request: {
        subject: { type: 'user', id: 'a' },
        action: { name: 'x' },
        resource: { type: 't', id: '1' },
      },
      expected: false,
    },
  ],
  evaluations: [{ request: { evaluations: [] }, expected: [{ decision: false }] }],
};

describe('the interop runner', () => {
  it('fails a deny vector when the PDP answers an error, where a runner reading a missing decision as false passes', async () => {
    const results = await runVectors(vectors, () =>
      Promise.resolve({ status: 503, body: { error: 'down' } }),
    );
    expect(results.map((r) => [r.pass, r.problem])).toEqual([
      [false, 'HTTP 503'],
      [false, 'HTTP 503'],
    ]);
  });

  it('fails a vector whose 200 reply carries no decision', async () => {
    const results = await runVectors(vectors, () => Promise.resolve({ status: 200, body: {} }));
    expect(results.map((r) => [r.pass, r.problem])).toEqual([
      [false, 'no decision in the reply'],
      [false, 'no decision in the reply'],
    ]);
  });

  it('passes matching decisions', async () => {
    const results = await runVectors(vectors, (route) =>
      Promise.resolve({
        status: 200,
        body: route.endsWith('evaluations') ? { evaluations: [{ decision: false }] } : { decision: false },
      }),
    );
    expect(results.every((r) => r.pass)).toBe(true);
  });
});
