import { generateKeyPairSync } from 'node:crypto';
import { answersOfBoth } from '../../helpers/builtin-oracle';
import { publicJwk, signToken } from '../../helpers/tokens';

// Work a caller's input could make unbounded fails the evaluation (a deny with policy_error): an undefined
// call would let a deny rule that depends on it pass.
describe('bounds on host builtins fail the evaluation, never a deny rule', () => {
  const failsEvaluation = (expr: string, input: unknown = {}) =>
    expect(answersOfBoth([{ expr }], input)).rejects.toThrow(/policy evaluation failed: .*more than/);

  it('net.cidr_expand of a network past 16,384 addresses', async () => {
    await failsEvaluation('"10.0.0.5" in net.cidr_expand(input.range)', { range: '10.0.0.0/16' });
  });

  it('numbers.range_step past 100,000 numbers', async () => {
    await failsEvaluation('count(numbers.range_step(0, input.n, 1))', { n: 200_000 });
  });

  it('json.patch whose copies double the document past 100,000 values', async () => {
    const copies = Array.from({ length: 22 }, (_, i) => ({ op: 'copy', from: '', path: `/k${i}` }));
    await failsEvaluation('json.patch(input.doc, input.ops)', { doc: { a: [1, 2, 3] }, ops: copies });
  });

  it('graph.reachable_paths on a graph with exponentially many paths', async () => {
    const graph: Record<string, string[]> = {};
    for (let layer = 0; layer < 18; layer++) {
      for (const side of ['a', 'b']) graph[`${side}${layer}`] = [`a${layer + 1}`, `b${layer + 1}`];
    }
    await failsEvaluation('count(graph.reachable_paths(input.graph, {"a0"}))', { graph });
  });

  it('a JWK set of more than 64 keys handed to io.jwt.verify_rs256', async () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const token = signToken({ header: { alg: 'RS256' }, claims: { sub: 'x' }, key: pair.privateKey });
    const keys = JSON.stringify({ keys: Array.from({ length: 65 }, () => publicJwk(pair.publicKey)) });
    await failsEvaluation('io.jwt.verify_rs256(input.token, input.keys)', { token, keys });
  });

  it('a result over 16 MiB', async () => {
    await failsEvaluation('count(regex.replace(input.s, "a", input.t))', {
      s: 'a'.repeat(1000),
      t: 'x'.repeat(20_000),
    });
  });
});

it('refuses an RSA key whose public exponent is past 2^31 - 1, as OPA does: slow to check, never issued', async () => {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const token = signToken({ header: { alg: 'RS256' }, claims: { sub: 'x' }, key: pair.privateKey });
  const huge = JSON.stringify({
    ...publicJwk(pair.publicKey),
    e: Buffer.alloc(384, 0xff).toString('base64url'),
  });
  const answers = await answersOfBoth(
    [
      { expr: 'io.jwt.verify_rs256(input.token, input.usual)' },
      { expr: 'io.jwt.verify_rs256(input.token, input.huge)' },
    ],
    { token, usual: JSON.stringify(publicJwk(pair.publicKey)), huge },
  );
  expect(answers.map((a) => [a.opa, a.wasm])).toEqual([
    [true, true],
    [undefined, undefined],
  ]);
});
