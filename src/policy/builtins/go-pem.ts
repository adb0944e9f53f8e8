/** One PEM block: its type line and the bytes of its base64 body (headers are read past, not kept). */
export interface PemBlock {
  type: string;
  bytes: Buffer;
}

const BEGIN = Buffer.from('\n-----BEGIN ');
const END = Buffer.from('\n-----END ');
const DASHES = Buffer.from('-----');

/** Returns the line at the start of `data` without its line break and trailing blanks, and what follows. */
function getLine(data: Buffer): { line: Buffer; rest: Buffer; consumed: number } {
  const newline = data.indexOf(0x0a);
  let end = newline < 0 ? data.length : newline;
  const consumed = newline < 0 ? end : newline + 1;
  if (newline > 0 && data[newline - 1] === 0x0d) end--;
  while (end > 0 && (data[end - 1] === 0x20 || data[end - 1] === 0x09)) end--;
  return { line: data.subarray(0, end), rest: data.subarray(consumed), consumed };
}

/** Go's base64.StdEncoding on PEM body bytes: line breaks skipped, undefined for anything else malformed. */
function bodyBytes(body: Buffer): Buffer | undefined {
  const text = body.toString('latin1').replace(/[ \t\r\n]/g, '');
  const unpadded = text.replace(/={1,2}$/, '');
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*$/.test(unpadded)) return undefined;
  return Buffer.from(unpadded, 'base64');
}

/**
 * Returns the first PEM block in `data` and the bytes after it, as Go's encoding/pem Decode finds it: the
 * first END line with a BEGIN line before it whose type, headers and body are well formed; text around blocks
 * is skipped. Without such a block, `block` is undefined and `rest` is all of `data`.
 */
export function pemDecode(data: Buffer): { block?: PemBlock; rest: Buffer } {
  let rest = data;
  let endTrailerIndex = 0;
  for (;;) {
    if (endTrailerIndex < 0 || endTrailerIndex > rest.length) return { rest: data };
    rest = rest.subarray(endTrailerIndex);
    let endIndex = rest.indexOf(END);
    if (endIndex < 0) return { rest: data };
    endTrailerIndex = endIndex + END.length;
    const beginIndex = rest.subarray(0, endIndex).lastIndexOf(BEGIN.subarray(1));
    if (beginIndex < 0 || (beginIndex > 0 && rest[beginIndex - 1] !== 0x0a)) continue;
    const skipped = beginIndex + BEGIN.length - 1;
    rest = rest.subarray(skipped);
    endIndex -= skipped;
    endTrailerIndex -= skipped;

    const typeLine = getLine(rest);
    rest = typeLine.rest;
    endIndex -= typeLine.consumed;
    endTrailerIndex -= typeLine.consumed;
    if (!endsWith(typeLine.line, DASHES)) continue;
    const type = typeLine.line.subarray(0, typeLine.line.length - DASHES.length);

    let headers = 0;
    let truncated = false;
    for (;;) {
      if (rest.length === 0) {
        truncated = true;
        break;
      }
      const header = getLine(rest);
      if (!header.line.includes(0x3a /* : */)) break;
      headers++;
      rest = header.rest;
      endIndex -= header.consumed;
      endTrailerIndex -= header.consumed;
    }
    if (truncated) return { rest: data };
    if (headers > 0 && endIndex < 0) continue;

    const trailer = rest.subarray(endTrailerIndex);
    const trailerLength = type.length + DASHES.length;
    if (trailer.length < trailerLength) continue;
    const endLine = trailer.subarray(0, trailerLength);
    if (!endLine.subarray(0, type.length).equals(type) || !endsWith(endLine, DASHES)) continue;
    if (getLine(trailer.subarray(trailerLength)).line.length !== 0) continue;

    let bytes: Buffer | undefined = Buffer.alloc(0);
    if (endIndex > 0) bytes = bodyBytes(rest.subarray(0, endIndex));
    if (bytes === undefined) continue;
    // The END line may follow the type line at once (an empty body): it then lacks its leading newline.
    const after = getLine(rest.subarray(endIndex + END.length - 1)).rest;
    return { block: { type: type.toString('latin1'), bytes }, rest: after };
  }
}

const endsWith = (data: Buffer, suffix: Buffer): boolean =>
  data.length >= suffix.length && data.subarray(data.length - suffix.length).equals(suffix);
