import { randomFillSync } from 'node:crypto';

/**
 * UUIDv7 (RFC 9562 §5.7) decision ids: 48 bits of Unix milliseconds, then a 42-bit counter that
 * starts at a random value each millisecond and steps by one for every further id in it
 * (RFC 9562 §6.2, method 1), then 32 random bits. Ids from one process therefore sort in the
 * order they were made, even within one millisecond or if the wall clock steps back.
 */

/** Returns a new id; each call's id sorts after the previous one. */
export type DecisionIdGenerator = () => string;

const COUNTER_BITS = 42;
// Seeds leave the top counter bit clear, so at least 2^41 ids fit in one millisecond before it overflows.
const SEED_MASK = 2 ** (COUNTER_BITS - 1) - 1;
const COUNTER_MAX = 2 ** COUNTER_BITS - 1;

// Random bytes are drawn from the CSPRNG a pool at a time: one randomFillSync per id cost more than
// the rest of the id (it showed in CPU profiles of /v1/decide). Each id still gets fresh bytes.
const POOL_IDS = 256;

/** Returns a UUIDv7 generator reading the given clock (tests pass a fake one). */
export function createDecisionIdGenerator(now: () => number = Date.now): DecisionIdGenerator {
  let lastMs = -1;
  let counter = 0;
  const pool = Buffer.alloc(10 * POOL_IDS);
  let offset = pool.length;
  return () => {
    if (offset === pool.length) {
      randomFillSync(pool);
      offset = 0;
    }
    const at = offset;
    offset += 10;
    const ms = now();
    if (ms > lastMs) {
      lastMs = ms;
      counter = seedFrom(pool, at);
    } else if (counter < COUNTER_MAX) {
      // Same millisecond, or the clock went back: keep the last timestamp and count on.
      counter += 1;
    } else {
      // Counter exhausted: borrow the next millisecond, as RFC 9562 §6.2 allows.
      lastMs += 1;
      counter = seedFrom(pool, at);
    }
    return format(lastMs, counter, pool.readUInt32BE(at));
  };
}

/** Returns the creation time (Unix milliseconds) of a UUIDv7, or null if the string is not one. */
export function decisionIdTime(id: string): number | null {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(id)) return null;
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

const defaultGenerator = createDecisionIdGenerator();

/** Returns a new time-ordered decision id (UUIDv7, RFC 9562), monotonic within this process. */
export function newDecisionId(): string {
  return defaultGenerator();
}

function seedFrom(random: Buffer, at: number): number {
  // 6 bytes = 48 random bits; JavaScript numbers hold them exactly, the mask keeps 41.
  return random.readUIntBE(at + 4, 6) % (SEED_MASK + 1);
}

function format(ms: number, counter: number, tail: number): string {
  const hex = (value: number, digits: number) => value.toString(16).padStart(digits, '0');
  const randA = Math.floor(counter / 2 ** 30); // top 12 counter bits
  const counterLow = counter % 2 ** 30; // next 30 bits, at the start of rand_b after the variant
  const variantAndHigh = 0x8000 | Math.floor(counterLow / 2 ** 16); // 10 + 14 counter bits
  const timeHex = hex(ms, 12);
  return (
    `${timeHex.slice(0, 8)}-${timeHex.slice(8)}-${hex(0x7000 | randA, 4)}-${hex(variantAndHigh, 4)}-` +
    `${hex(counterLow % 2 ** 16, 4)}${hex(tail, 8)}`
  );
}
