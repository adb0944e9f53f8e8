import { isIPv6 } from 'node:net';
import type { BuiltinTable } from './builtin';
import { compareStrings } from './rego-value';
import { stringOperand } from './strings';

// Go's net/url works on bytes; these follow its rules byte for byte (RFC 3986 as Go reads it).
type Mode = 'path' | 'host' | 'zone' | 'userinfo' | 'query' | 'fragment';

// Reads a byte; callers check bounds first, and -1 past the end matches no byte class.
const at = (bytes: Uint8Array, i: number): number => bytes[i] ?? -1;

/**
 * Returns bytes as a string the way OPA prints a Go string: every byte that is not part of a valid UTF-8
 * sequence becomes one U+FFFD (Go's decoder steps one byte at a time, where TextDecoder merges a bad sequence).
 */
function textOfBytes(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = at(bytes, i);
    const size =
      b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (size === 1 || (size > 0 && validTail(bytes, i, size))) {
      out += Buffer.from(bytes.subarray(i, i + size)).toString('utf8');
      i += size;
    } else {
      out += '\ufffd';
      i += 1;
    }
  }
  return out;
}

// Where a lead byte narrows its second byte's range: no overlong forms, surrogates or code points past U+10FFFF.
const SECOND_BYTE: Record<number, [number, number]> = {
  0xe0: [0xa0, 0xbf],
  0xed: [0x80, 0x9f],
  0xf0: [0x90, 0xbf],
  0xf4: [0x80, 0x8f],
};

function validTail(bytes: Uint8Array, i: number, size: number): boolean {
  if (i + size > bytes.length) return false;
  const b0 = at(bytes, i);
  const b1 = at(bytes, i + 1);
  const [lo, hi] = SECOND_BYTE[b0] ?? [0x80, 0xbf];
  if (b1 < lo || b1 > hi) return false;
  for (let k = 2; k < size; k++) if ((at(bytes, i + k) & 0xc0) !== 0x80) return false;
  return true;
}

const isAlnum = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isHex = (c: number): boolean => /[0-9a-fA-F]/.test(String.fromCharCode(c));

function shouldEscape(c: number, mode: Mode): boolean {
  if (isAlnum(c)) return false;
  const ch = String.fromCharCode(c);
  if ((mode === 'host' || mode === 'zone') && `!$&'()*+,;=:[]<>"`.includes(ch)) return false;
  if ('-_.~'.includes(ch)) return false;
  if ('$&+,/:;=?@'.includes(ch)) {
    if (mode === 'path') return ch === '?';
    if (mode === 'userinfo') return '@/?:'.includes(ch);
    if (mode === 'fragment') return false;
    return true;
  }
  return !(mode === 'fragment' && '!()*'.includes(ch));
}

function escape(bytes: Uint8Array, mode: Mode): string {
  let out = '';
  for (const c of bytes) {
    if (c === 0x20 && mode === 'query') out += '+';
    else if (shouldEscape(c, mode)) out += `%${c.toString(16).toUpperCase().padStart(2, '0')}`;
    else out += String.fromCharCode(c);
  }
  return out;
}

/** Go's url.unescape: the decoded bytes, or a throw for a bad %-escape or a byte a host may not hold. */
function unescape(s: Uint8Array, mode: Mode): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = at(s, i);
    if (c === 0x25) {
      if (i + 2 >= s.length || !isHex(at(s, i + 1)) || !isHex(at(s, i + 2)))
        throw new Error('invalid URL escape');
      const v = parseInt(String.fromCharCode(at(s, i + 1), at(s, i + 2)), 16);
      const isPct25 = v === 0x25;
      if (mode === 'host' && v < 0x80 && !isPct25) throw new Error('invalid URL escape');
      if (mode === 'zone' && !isPct25 && v !== 0x20 && shouldEscape(v, 'host'))
        throw new Error('invalid URL escape');
      out.push(v);
      i += 2;
    } else if (c === 0x2b) {
      out.push(mode === 'query' ? 0x20 : 0x2b);
    } else {
      if ((mode === 'host' || mode === 'zone') && c < 0x80 && shouldEscape(c, mode))
        throw new Error('invalid host');
      out.push(c);
    }
  }
  return Uint8Array.from(out);
}

const bytesOf = (s: string): Uint8Array => Buffer.from(s, 'utf8');
const queryEscape = (s: string): string => escape(bytesOf(s), 'query');
const queryUnescape = (s: string): string => textOfBytes(unescape(bytesOf(s), 'query'));

function encodeObject(value: unknown): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError('operand must be an object');
  const pairs: string[] = [];
  for (const key of Object.keys(value).sort(compareStrings)) {
    const v = (value as Record<string, unknown>)[key];
    // A set arrives as an array in OPA's order (index.ts); OPA accepts string, array[string] and set[string].
    const values =
      typeof v === 'string' ? [v] : Array.isArray(v) ? v.map((item) => stringOperand(item)) : undefined;
    if (values === undefined) throw new TypeError('values must be string, array[string], or set[string]');
    for (const one of values) pairs.push(`${queryEscape(key)}=${queryEscape(one)}`);
  }
  return pairs.join('&');
}

function decodeObject(query: string): Record<string, string[]> {
  // A Map, then fromEntries: a key such as "__proto__" must become an ordinary member.
  const result = new Map<string, string[]>();
  for (const setting of query.split('&')) {
    // Go (since 1.17) refuses a semicolon separator; any bad pair makes ParseQuery, and so the call, fail.
    if (setting.includes(';')) throw new Error('invalid semicolon separator in query');
    if (setting === '') continue;
    const eq = setting.indexOf('=');
    const key = queryUnescape(eq < 0 ? setting : setting.slice(0, eq));
    const value = queryUnescape(eq < 0 ? '' : setting.slice(eq + 1));
    const values = result.get(key);
    if (values) values.push(value);
    else result.set(key, [value]);
  }
  return Object.fromEntries(result);
}

function hexDecode(s: string): string {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new Error('invalid hex string');
  return textOfBytes(Buffer.from(s, 'hex'));
}

interface ParsedUri {
  scheme: string;
  host: string;
  path?: string;
  rawPath?: string;
  rawQuery: string;
  fragment: string;
}

/** Go's url.Parse (Go 1.26): the parts OPA's uri.parse reports, or a throw where Go returns an error. */
function parseUri(raw: string): ParsedUri {
  const hash = raw.indexOf('#');
  const [head, frag] = hash < 0 ? [raw, ''] : [raw.slice(0, hash), raw.slice(hash + 1)];
  const uri = parseHead(head);
  uri.fragment = textOfBytes(unescape(bytesOf(frag), 'fragment'));
  return uri;
}

function parseHead(raw: string): ParsedUri {
  if ([...raw].some((ch) => ch < ' ' || ch === '\x7f')) throw new Error('invalid control character in URL');
  const uri: ParsedUri = { scheme: '', host: '', rawQuery: '', fragment: '' };
  if (raw === '*') return { ...uri, path: '*', rawPath: '*' };
  const [scheme, afterScheme] = splitScheme(raw);
  uri.scheme = scheme.toLowerCase();
  let rest = afterScheme;
  const q = rest.indexOf('?');
  if (q === rest.length - 1) rest = rest.slice(0, -1);
  else if (q >= 0) [rest, uri.rawQuery] = [rest.slice(0, q), rest.slice(q + 1)];
  if (!rest.startsWith('/')) {
    if (uri.scheme !== '') return uri; // scheme:opaque, which OPA does not report
    if ((rest.split('/')[0] ?? '').includes(':'))
      throw new Error('first path segment in URL cannot contain colon');
  }
  if ((uri.scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    const authority = slash < 0 ? rest.slice(2) : rest.slice(2, slash);
    rest = slash < 0 ? '' : rest.slice(slash);
    uri.host = parseAuthority(uri.scheme, authority);
  }
  const path = unescape(bytesOf(rest), 'path');
  uri.path = textOfBytes(path);
  uri.rawPath = escape(path, 'path') === rest ? uri.path : rest;
  return uri;
}

function splitScheme(raw: string): [string, string] {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charAt(i);
    if (/[a-zA-Z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c) && i > 0) continue;
    if (c === ':') {
      if (i === 0) throw new Error('missing protocol scheme');
      return [raw.slice(0, i), raw.slice(i + 1)];
    }
    return ['', raw];
  }
  return ['', raw];
}

function parseAuthority(scheme: string, authority: string): string {
  const at = authority.lastIndexOf('@');
  const host = parseHost(scheme, authority.slice(at + 1));
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    if (!/^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(userinfo)) throw new Error('invalid userinfo');
    const colon = userinfo.indexOf(':');
    const parts = colon < 0 ? [userinfo] : [userinfo.slice(0, colon), userinfo.slice(colon + 1)];
    for (const part of parts) unescape(bytesOf(part), 'userinfo');
  }
  return host;
}

function parseHost(scheme: string, host: string): string {
  const open = host.lastIndexOf('[');
  if (open > 0) throw new Error('invalid IP-literal');
  if (open === 0) {
    const close = host.lastIndexOf(']');
    if (close < 0) throw new Error("missing ']' in host");
    const colonPort = host.slice(close + 1);
    if (!validOptionalPort(colonPort)) throw new Error('invalid port after host');
    const name = host.slice(1, close);
    const zone = name.indexOf('%25');
    const address =
      zone < 0
        ? textOfBytes(unescape(bytesOf(name), 'host'))
        : textOfBytes(unescape(bytesOf(name.slice(0, zone)), 'host')) +
          textOfBytes(unescape(bytesOf(name.slice(zone)), 'zone'));
    const [ip, zoneId] = address.split('%', 2);
    // netip.ParseAddr: an IPv6 address (IPv4-mapped allowed), with a non-empty zone if any; IPv4 is refused.
    if (!isIPv6(ip ?? '') || zoneId === '') throw new Error('invalid IP-literal');
    return `[${address}]${colonPort}`;
  }
  const first = host.indexOf(':');
  if (first >= 0) {
    // Go 1.26 takes the port after the first colon for http(s) and after the last for other schemes.
    const at = scheme === 'http' || scheme === 'https' ? first : host.lastIndexOf(':');
    if (!validOptionalPort(host.slice(at))) throw new Error('invalid port after host');
  }
  return textOfBytes(unescape(bytesOf(host), 'host'));
}

const validOptionalPort = (port: string): boolean => port === '' || /^:[0-9]*$/.test(port);

function splitHostPort(host: string): [string, string] {
  let [name, port] = [host, ''];
  const colon = host.lastIndexOf(':');
  if (colon >= 0 && validOptionalPort(host.slice(colon)))
    [name, port] = [host.slice(0, colon), host.slice(colon + 1)];
  if (name.startsWith('[') && name.endsWith(']')) name = name.slice(1, -1);
  return [name, port];
}

function uriObject(raw: string): Record<string, string> {
  const uri = parseUri(raw);
  const [hostname, port] = splitHostPort(uri.host);
  const parts: Record<string, string | undefined> = {
    scheme: uri.scheme,
    hostname,
    port,
    path: uri.path,
    raw_path: uri.path === '' ? undefined : uri.rawPath,
    raw_query: uri.rawQuery,
    fragment: uri.fragment,
  };
  // OPA leaves out every part Go's URL holds as an empty string.
  return Object.fromEntries(
    Object.entries(parts).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''),
  );
}

function uriIsValid(value: unknown): boolean {
  // OPA answers false (not undefined) for a non-string, and for "" although Go accepts it.
  if (typeof value !== 'string' || value === '') return false;
  try {
    parseUri(value);
    return true;
  } catch {
    return false;
  }
}

/** OPA's hex, base64url (unpadded), urlquery and uri builtins, following Go's encoding/hex and net/url. */
export const encodingBuiltins: BuiltinTable = {
  'hex.encode': (_, s) => Buffer.from(stringOperand(s), 'utf8').toString('hex'),
  'hex.decode': (_, s) => hexDecode(stringOperand(s)),
  'base64url.encode_no_pad': (_, s) => Buffer.from(stringOperand(s), 'utf8').toString('base64url'),
  'urlquery.encode': (_, s) => queryEscape(stringOperand(s)),
  'urlquery.decode': (_, s) => queryUnescape(stringOperand(s)),
  'urlquery.encode_object': (_, o) => encodeObject(o),
  'urlquery.decode_object': (_, s) => decodeObject(stringOperand(s)),
  'uri.parse': (_, s) => uriObject(stringOperand(s)),
  'uri.is_valid': (_, s) => uriIsValid(s),
};
