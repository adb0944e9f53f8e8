/** One DER element as Go's encoding/asn1 reads it: class, tag, whether constructed, and its content. */
export interface DerElement {
  cls: number;
  tag: number;
  constructed: boolean;
  content: Buffer;
  /** Where the element ends in the buffer it was read from. */
  end: number;
}

/** The universal tags this module reads. */
export const DER = { INTEGER: 2, BIT_STRING: 3, OCTET_STRING: 4, OID: 6, SEQUENCE: 16 } as const;

/**
 * Returns the element at `at`, refusing what Go's asn1 refuses: a truncated element, an indefinite or
 * non-minimal length, a non-minimal high tag number.
 */
export function derElement(buf: Buffer, at: number): DerElement {
  let i = at;
  const first = byteAt(buf, i++);
  const cls = first >> 6;
  const constructed = (first & 0x20) !== 0;
  let tag = first & 0x1f;
  if (tag === 0x1f) {
    tag = base128(buf, i);
    i = base128End(buf, i);
    if (tag < 0x1f) throw new Error('asn1: non-minimal tag');
  }
  let length = byteAt(buf, i++);
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0) throw new Error('asn1: indefinite length found (not DER)');
    length = 0;
    for (let k = 0; k < count; k++) {
      if (length >= 1 << 23) throw new Error('asn1: length too large');
      length = length * 256 + byteAt(buf, i++);
      if (length === 0) throw new Error('asn1: superfluous leading zeros in length');
    }
    if (length < 0x80) throw new Error('asn1: non-minimal length');
  }
  if (i + length > buf.length) throw new Error('asn1: data truncated');
  return { cls, tag, constructed, content: buf.subarray(i, i + length), end: i + length };
}

/** Returns the elements a constructed element's content holds, in order. */
export function derChildren(content: Buffer): DerElement[] {
  const children: DerElement[] = [];
  for (let at = 0; at < content.length; at = children[children.length - 1]!.end) {
    children.push(derElement(content, at));
  }
  return children;
}

/** Returns whether the element is the universal type `tag` (a SEQUENCE constructed, the others primitive). */
export function isUniversal(element: DerElement | undefined, tag: number): element is DerElement {
  return (
    element !== undefined &&
    element.cls === 0 &&
    element.tag === tag &&
    element.constructed === (tag === DER.SEQUENCE)
  );
}

/** Returns an element of the universal type `tag`, or throws as Go's asn1 does for a structure it does not fit. */
export function expectUniversal(element: DerElement | undefined, tag: number): DerElement {
  if (!isUniversal(element, tag)) throw new Error("asn1: structure error: tags don't match");
  return element;
}

/** Returns a DER INTEGER's value; Go refuses an empty or non-minimally encoded one. */
export function derInteger(element: DerElement | undefined): bigint {
  const bytes = expectUniversal(element, DER.INTEGER).content;
  if (bytes.length === 0) throw new Error('asn1: empty integer');
  if (
    bytes.length > 1 &&
    ((bytes[0] === 0 && bytes[1]! < 0x80) || (bytes[0] === 0xff && bytes[1]! >= 0x80))
  ) {
    throw new Error('asn1: integer not minimally-encoded');
  }
  const magnitude = BigInt(`0x${bytes.toString('hex')}`);
  return bytes[0]! >= 0x80 ? magnitude - (1n << BigInt(bytes.length * 8)) : magnitude;
}

/** Returns a DER INTEGER that Go reads into an int (64 bits). */
export function derInt64(element: DerElement | undefined): bigint {
  if (isUniversal(element, DER.INTEGER) && element.content.length > 8) {
    throw new Error('asn1: integer too large');
  }
  return derInteger(element);
}

/** Returns a DER OBJECT IDENTIFIER in dotted form. */
export function derOid(element: DerElement | undefined): string {
  const bytes = expectUniversal(element, DER.OID).content;
  if (bytes.length === 0) throw new Error('asn1: zero length OBJECT IDENTIFIER');
  const arcs: number[] = [];
  for (let i = 0; i < bytes.length; i = base128End(bytes, i)) arcs.push(base128(bytes, i));
  const first = arcs[0]!;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join('.');
}

function byteAt(buf: Buffer, i: number): number {
  const b = buf[i];
  if (b === undefined) throw new Error('asn1: data truncated');
  return b;
}

// A base-128 number as Go's parseBase128Int reads it: minimal, within 31 bits.
function base128(buf: Buffer, at: number): number {
  let value = 0;
  for (let i = at; ; i++) {
    const b = byteAt(buf, i);
    if (i === at && b === 0x80) throw new Error('asn1: integer is not minimally encoded');
    if (i - at === 5) throw new Error('asn1: base 128 integer too large');
    value = value * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      if (value > 0x7fffffff) throw new Error('asn1: base 128 integer too large');
      return value;
    }
  }
}

function base128End(buf: Buffer, at: number): number {
  let i = at;
  while (byteAt(buf, i) & 0x80) i++;
  return i + 1;
}
