/** Where the default policy keeps its entitlements in the bundle's data. */
export const DEFAULT_ENTITLEMENTS_PATH = 'entitlements.subjects';

/** One subject's entitlement as the default policy shapes it (rego/entitlements/data.json). */
export interface Entitlement {
  models?: string[];
  operations?: string[];
  purposes?: string[];
  tools?: Record<string, unknown>;
  limits?: { daily_tokens?: number; requests_per_minute?: number; max_tokens_per_call?: number };
  [field: string]: unknown;
}

/**
 * Returns the subject → entitlement map found at a dotted path of the bundle's data, or throws
 * TypeError saying what is there instead. Custom policies publish the same shape to be reported on.
 */
export function entitlementsAt(
  data: Record<string, unknown>,
  dottedPath: string,
): Record<string, Entitlement> {
  let node: unknown = data;
  for (const key of dottedPath.split('.').filter((k) => k !== '')) {
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined;
  }
  if (typeof node !== 'object' || node === null || Array.isArray(node)) {
    throw new TypeError(
      `the bundle's data has no entitlements object at ${dottedPath} ` +
        '(a map of subject id to { models, operations, purposes, tools, limits })',
    );
  }
  return node as Record<string, Entitlement>;
}
