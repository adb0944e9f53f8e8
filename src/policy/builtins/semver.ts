import type { BuiltinTable, EvaluationContext } from './builtin';
import { stringOperand } from './strings';

/** A version as OPA reads it: numbers as BigInt (int64), pre-release as written, build metadata dropped. */
interface Version {
  core: [bigint, bigint, bigint];
  preRelease: string;
}

const INT64_MAX = 2n ** 63n - 1n;
const IDENTIFIERS = /^[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*$/;
const NUMBER = /^(0|[1-9][0-9]*)$/;

/** Returns the version, or undefined where OPA's semver.Parse fails. */
function parse(text: string): Version | undefined {
  let rest = text.startsWith('v') ? text.slice(1) : text;
  const plus = rest.indexOf('+');
  if (plus >= 0) {
    if (!IDENTIFIERS.test(rest.slice(plus + 1))) return undefined;
    rest = rest.slice(0, plus);
  }
  let preRelease = '';
  const dash = rest.indexOf('-');
  if (dash >= 0) {
    preRelease = rest.slice(dash + 1);
    // Numeric identifiers may not have leading zeros; alphanumeric ones ("00a") may.
    const numericWithZero = preRelease.split('.').some((id) => /^[0-9]+$/.test(id) && !NUMBER.test(id));
    if (!IDENTIFIERS.test(preRelease) || numericWithZero) return undefined;
    rest = rest.slice(0, dash);
  }
  const parts = rest.split('.');
  if (parts.length !== 3 || !parts.every((p) => NUMBER.test(p))) return undefined;
  const core = parts.map((p) => BigInt(p)) as [bigint, bigint, bigint];
  return core.every((n) => n <= INT64_MAX) ? { core, preRelease } : undefined;
}

function sign(a: bigint | string, b: bigint | string): number {
  return a > b ? 1 : a < b ? -1 : 0;
}

/** Compares pre-releases as OPA does: numeric identifiers (clamped to int64, as Go's Atoi) below alphanumeric ones. */
function comparePreRelease(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '') return 1;
  if (b === '') return -1;
  const as = a.split('.');
  const bs = b.split('.');
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    const [x, y] = [as[i] ?? '', bs[i] ?? ''];
    const aNum = /^[0-9]+$/.test(x);
    const bNum = /^[0-9]+$/.test(y);
    if (aNum !== bNum) return aNum ? -1 : 1;
    const order = aNum ? sign(clamp(BigInt(x)), clamp(BigInt(y))) : sign(x, y);
    if (order !== 0) return order;
  }
  // More identifiers rank higher. Equal counts get here only when numbers compare equal after clamping
  // ("1.0.0-99999999999999999999" and "…998"): OPA then loops forever; 0 is the sane answer.
  return sign(BigInt(as.length), BigInt(bs.length));
}

function clamp(n: bigint): bigint {
  return n > INT64_MAX ? INT64_MAX : n;
}

function compare(_: EvaluationContext, a: unknown, b: unknown): number {
  const va = parse(stringOperand(a));
  const vb = parse(stringOperand(b));
  if (!va || !vb) throw new RangeError('not a valid SemVer');
  for (const [i, part] of va.core.entries()) {
    const order = sign(part, vb.core[i] ?? 0n);
    if (order !== 0) return order;
  }
  return comparePreRelease(va.preRelease, vb.preRelease);
}

function isValid(_: EvaluationContext, version: unknown): boolean {
  return typeof version === 'string' && parse(version) !== undefined;
}

/**
 * SemVer builtins, with OPA's rules: one leading "v" is allowed, build metadata must be well formed but is
 * ignored when comparing, numeric parts and numeric pre-release identifiers have no leading zeros.
 */
export const semverBuiltins: BuiltinTable = {
  'semver.compare': compare,
  'semver.is_valid': isValid,
};
