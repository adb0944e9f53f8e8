/** Feeds candidate bundles to the active bundle: a watched file, or a bundle server. */
export interface BundleSource {
  /** Makes the first attempt (resolves whether or not it activated a bundle), then keeps watching or polling. */
  start(): Promise<void>;
  /** Reads or asks again now (SIGHUP); rejects with the error when the bundle is refused. */
  reload(): Promise<void>;
  /** Stops watching or polling; an in-flight request is abandoned. */
  stop(): Promise<void>;
}
