import { randomBytes, randomInt } from 'node:crypto';
import { BuiltinLimitError, RawJson, type BuiltinTable, type EvaluationContext } from './builtin';
import { intOperand, stringOperand } from './strings';

/**
 * The most numbers numbers.range_step returns. OPA generates any range until the query is cancelled; a host
 * builtin runs on the event loop and cannot be cancelled, so a longer range fails the evaluation.
 */
const MAX_RANGE = 100_000;

/** Returns the operand as an exact integer: beyond 2^53 the JSON argument has already lost digits. */
function exactInt(value: unknown): number {
  const n = intOperand(value);
  if (!Number.isSafeInteger(n)) throw new RangeError('integer beyond 2^53 cannot be exact here');
  return n;
}

function rangeStep(_: EvaluationContext, from: unknown, to: unknown, step: unknown): number[] {
  const a = exactInt(from);
  const b = exactInt(to);
  // OPA takes any integer step, beyond int64 too.
  if (typeof step !== 'number' || !Number.isInteger(step)) throw new TypeError('operand must be an integer');
  const s = step;
  if (s <= 0) throw new RangeError('numbers.range_step: step must be a positive integer');
  // A step past 2^53 has lost digits, but a step longer than the range gives [from] whatever they were.
  if (!Number.isSafeInteger(s)) {
    if (s > Math.abs(b - a)) return [a];
    throw new RangeError('integer beyond 2^53 cannot be exact here');
  }
  if (Math.floor(Math.abs(b - a) / s) + 1 > MAX_RANGE) {
    throw new BuiltinLimitError(`numbers.range_step: more than ${MAX_RANGE} numbers`);
  }
  const out: number[] = [];
  if (a <= b) for (let i = a; i <= b; i += s) out.push(i);
  else for (let i = a; i >= b; i -= s) out.push(i);
  return out;
}

/** Returns a uniform random integer in [0, n) from the system's CSPRNG. */
function uniform(n: number): number | RawJson {
  if (n <= 2 ** 48) return randomInt(n);
  // randomInt stops at 2^48: draw 64 random bits and reject the biased tail.
  const bound = BigInt(n);
  const limit = 2n ** 64n - (2n ** 64n % bound);
  for (;;) {
    const draw = randomBytes(8).readBigUInt64BE();
    if (draw < limit) {
      const value = draw % bound;
      return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : new RawJson(value.toString());
    }
  }
}

/** rand.intn: the same (str, |n|) answers the same number within one query, as OPA caches it per query. */
function randIntn(context: EvaluationContext, str: unknown, n: unknown): unknown {
  const s = stringOperand(str);
  const bound = Math.abs(intOperand(n));
  if (bound === 0) return 0;
  // OPA's cache key, formatted the same way.
  const key = `rand.intn:${s}-${bound}`;
  if (!context.memo.has(key)) context.memo.set(key, uniform(bound));
  return context.memo.get(key);
}

/** Number builtins: `numbers.range_step`, `rand.intn`. */
export const numberBuiltins: BuiltinTable = {
  'numbers.range_step': rangeStep,
  'rand.intn': randIntn,
};
