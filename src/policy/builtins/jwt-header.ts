/** A JWS header's parameters as OPA reads them for verification. */
export interface TokenHeader {
  alg: string;
  kid: string;
  cty: string;
  /** Names in `crit`. */
  crit: Set<string>;
  /** Parameters OPA does not know: a `crit` naming one makes the token invalid (RFC 7515 §4.1.11). */
  unknown: string[];
}

const STRING_PARAMETERS = new Set(['alg', 'kid', 'typ', 'cty']);

/** Returns the header's parameters; throws when a known one has the wrong type (the call is then undefined). */
export function tokenHeader(decoded: Record<string, unknown>): TokenHeader {
  const header: TokenHeader = { alg: '', kid: '', cty: '', crit: new Set(), unknown: [] };
  for (const [name, value] of Object.entries(decoded)) {
    if (STRING_PARAMETERS.has(name)) {
      if (typeof value !== 'string') throw new Error(`${name}: must be a string`);
      if (name === 'alg' || name === 'kid' || name === 'cty') header[name] = value;
    } else if (name === 'crit') {
      if (!Array.isArray(value)) throw new Error('crit: must be a list');
      // OPA reads names up to the first entry that is not a string, then wants one at least.
      const end = value.findIndex((item) => typeof item !== 'string');
      header.crit = new Set((end === -1 ? value : value.slice(0, end)) as string[]);
      if (header.crit.size === 0) throw new Error('crit: must be a nonempty list');
    } else {
      header.unknown.push(name);
    }
  }
  return header;
}

/** Returns whether OPA accepts the header for verification: an `alg`, and no critical parameter it cannot read. */
export function headerUsable(header: TokenHeader): boolean {
  return header.alg !== '' && !header.unknown.some((name) => header.crit.has(name));
}
