/** One HTTP endpoint under load: where to POST, with which headers and body. */
export interface Target {
  /** A, B or C. */
  name: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}
