import { isLoopbackUrl } from '../identity/remote-url';
import type { Config } from './config';

/**
 * Returns a start-up warning for each secret, and for the policy itself, that the configuration sends or takes
 * over plain http to a host other than loopback (a sidecar on loopback is fine): an unsigned bundle, which anyone
 * on the path could replace with a policy that allows everything, and bearer tokens and collector headers, which
 * anyone on the path could read. OPA allows all of these, so modelgate says so rather than refusing to start.
 * Warnings name configuration entries and header names, never a secret.
 */
export function plainHttpWarnings(config: Config): string[] {
  const warnings: string[] = [];
  const bundle = config.policyBundle;
  if (bundle?.source.kind === 'http' && inClear(bundle.source.url)) {
    if (!bundle.signing) {
      warnings.push(
        `bundles.${bundle.name} comes over plain http from ${host(bundle.source.url)} without a signature: ` +
          'anyone on the path could replace the policy; use https, or sign the bundle (bundles.<name>.signing)',
      );
    }
    if (bundle.source.bearer) {
      warnings.push(
        `services.${bundle.source.service} sends its bearer token over plain http to ${host(bundle.source.url)}: ` +
          'anyone on the path could read it; use https',
      );
    }
  }
  const collector = config.decisionLogs?.service;
  if (collector?.bearerTokenFile && inClear(collector.url)) {
    warnings.push(
      `decision_logs.service sends decisions and its bearer token over plain http to ${host(collector.url)}: ` +
        'anyone on the path could read them; use https',
    );
  }
  const tracing = config.tracing;
  const headers = Object.keys(tracing?.headers ?? {});
  if (tracing && headers.length > 0 && inClear(tracing.otlpEndpoint)) {
    warnings.push(
      `tracing sends its headers (${headers.join(', ')}) over plain http to ${host(tracing.otlpEndpoint)}: ` +
        'anyone on the path could read them; use https',
    );
  }
  return warnings;
}

function inClear(url: string): boolean {
  return URL.canParse(url) && new URL(url).protocol === 'http:' && !isLoopbackUrl(url);
}

function host(url: string): string {
  return new URL(url).host;
}
