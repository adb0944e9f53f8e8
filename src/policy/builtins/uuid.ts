import { randomBytes } from 'node:crypto';
import { RawJson, type BuiltinTable, type EvaluationContext } from './builtin';
import { stringOperand } from './strings';

/** Returns a random (version 4, RFC 4122 variant) UUID, lower-case, from the system's CSPRNG. */
function newUuidV4(): string {
  const b = randomBytes(16);
  b.writeUInt8((b.readUInt8(6) & 0x0f) | 0x40, 6);
  b.writeUInt8((b.readUInt8(8) & 0x3f) | 0x80, 8);
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** uuid.rfc4122: OPA caches the UUID per query by its key (any value), so the same key answers the same UUID. */
function rfc4122(context: EvaluationContext, key: unknown): string {
  const memoKey = `uuid.rfc4122:${JSON.stringify(key)}`;
  if (!context.memo.has(memoKey)) context.memo.set(memoKey, newUuidV4());
  return context.memo.get(memoKey) as string;
}

/**
 * Returns the 16 bytes of a UUID in the forms google/uuid's Parse takes (it measures the UTF-8 length, and does
 * not check the braces of the 38-byte form), or undefined.
 */
function uuidBytes(text: string): Buffer | undefined {
  let s = Buffer.from(text, 'utf8');
  if (s.length === 32)
    return /^[0-9a-fA-F]{32}$/.test(s.toString('latin1'))
      ? Buffer.from(s.toString('latin1'), 'hex')
      : undefined;
  if (s.length === 45) {
    if (s.subarray(0, 9).toString('latin1').toLowerCase() !== 'urn:uuid:') return undefined;
    s = s.subarray(9);
  } else if (s.length === 38) {
    s = s.subarray(1, 37);
  } else if (s.length !== 36) {
    return undefined;
  }
  const form = s.toString('latin1');
  if (!/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(form))
    return undefined;
  return Buffer.from(form.replace(/-/g, ''), 'hex');
}

function variant(b: number): string {
  if ((b & 0xc0) === 0x80) return 'RFC4122';
  if ((b & 0xe0) === 0xc0) return 'Microsoft';
  if ((b & 0xe0) === 0xe0) return 'Future';
  return 'Reserved';
}

function macVariables(b: number): string {
  if ((b & 3) === 3) return 'local:multicast';
  if ((b & 1) === 1) return 'global:multicast';
  if ((b & 2) === 2) return 'local:unicast';
  return 'global:unicast';
}

/** Returns the Unix time in ns of a version 1 or 2 UUID, wrapped to int64 as Go's arithmetic wraps. */
function unixNanos(u: Buffer): bigint {
  const ticks =
    BigInt(u.readUInt32BE(0)) |
    (BigInt(u.readUInt16BE(4)) << 32n) |
    (BigInt(u.readUInt16BE(6) & 0xfff) << 48n);
  // 100 ns ticks since 1582-10-15.
  const since1970 = ticks - 122192928000000000n;
  const seconds = since1970 / 10000000n;
  const nanos = (since1970 % 10000000n) * 100n;
  return BigInt.asIntN(64, seconds * 1000000000n + nanos);
}

/** uuid.parse: version and variant, and for versions 1 and 2 the time, node and clock sequence (2: id, domain). */
function parse(_: EvaluationContext, text: unknown): unknown {
  const u = uuidBytes(stringOperand(text));
  if (!u) return undefined;
  const version = u.readUInt8(6) >> 4;
  const fields: Record<string, unknown> = { version, variant: variant(u.readUInt8(8)) };
  if (version !== 1 && version !== 2) return fields;
  const node = u.subarray(10, 16);
  fields.nodeid = [...node].map((b) => b.toString(16).padStart(2, '0')).join('-');
  fields.macvariables = macVariables(node.readUInt8(0));
  fields.clocksequence = u.readUInt16BE(8) & 0x3fff;
  if (version === 2) {
    fields.id = u.readUInt32BE(0);
    const domain = u.readUInt8(9);
    fields.domain = ['Person', 'Group', 'Org'][domain] ?? `Domain${domain}`;
  }
  const time = unixNanos(u);
  if (time >= BigInt(Number.MIN_SAFE_INTEGER) && time <= BigInt(Number.MAX_SAFE_INTEGER)) {
    return { ...fields, time: Number(time) };
  }
  // A time beyond 2^53 goes to the module as JSON text, so that it stays exact.
  return new RawJson(JSON.stringify(fields).slice(0, -1) + `,"time":${time}}`);
}

/** UUID builtins: `uuid.rfc4122`, `uuid.parse`. */
export const uuidBuiltins: BuiltinTable = {
  'uuid.rfc4122': rfc4122,
  'uuid.parse': parse,
};
