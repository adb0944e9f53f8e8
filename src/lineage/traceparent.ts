// W3C Trace Context level 1: version-traceid-parentid-flags, lower-case hex.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * Returns the trace id of a W3C `traceparent` header, or null when there is none or it is invalid.
 * As the W3C spec asks of every receiver, an invalid header is ignored, not refused: tracing
 * headers are set by proxies and meshes, and a broken one must not deny a model call.
 */
export function traceIdOf(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = TRACEPARENT.exec(header.trim());
  if (!match) return null;
  const [, version, traceId, parentId] = match as unknown as [string, string, string, string];
  // Version ff is forbidden; version 00 has no trailing fields; all-zero ids are invalid.
  if (version === 'ff' || (version === '00' && match[5] !== undefined)) return null;
  if (/^0+$/.test(traceId) || /^0+$/.test(parentId)) return null;
  return traceId;
}
