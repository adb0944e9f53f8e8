/**
 * The methods each documented path takes, read from the OpenAPI document the service serves: what an `Allow`
 * header names (RFC 9110, section 10.2.1) when a client sends a method a path does not take (405) or asks with
 * OPTIONS. Express answers neither by itself once a catch-all route follows its routes.
 */
export class AllowedMethods {
  private readonly routes: { pattern: RegExp; methods: string[] }[];

  /** `paths`: the OpenAPI document's `paths`, each a template such as `/v1/decisions/{id}`. */
  constructor(paths: Record<string, object>) {
    this.routes = Object.entries(paths).map(([template, operations]) => ({
      pattern: templatePattern(template),
      methods: Object.keys(operations).map((m) => m.toUpperCase()),
    }));
  }

  /**
   * Returns the methods `path` takes, in the document's order, with HEAD after GET and OPTIONS last; undefined
   * when no documented path matches.
   */
  of(path: string): string[] | undefined {
    const declared = new Set<string>();
    for (const route of this.routes)
      if (route.pattern.test(path)) for (const method of route.methods) declared.add(method);
    if (declared.size === 0) return undefined;
    const methods: string[] = [];
    for (const method of declared) methods.push(...(method === 'GET' ? ['GET', 'HEAD'] : [method]));
    return [...methods, 'OPTIONS'];
  }
}

// A `{name}` is one path segment, except the Data API's `{path}`: a policy path keeps its slashes, as with OPA
// (`/v1/data/modelgate/decision`). Case-insensitive, as express routes are.
function templatePattern(template: string): RegExp {
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => {
      if (part === '{path}') return '.+';
      if (part.startsWith('{')) return '[^/]+';
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${source}/*$`, 'i');
}
