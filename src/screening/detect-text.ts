import { SCREENING_CLASSES, categoryOf, type ScreeningClass } from './classes';
import type { Detector, TextSpan } from './detector';
import { awsKeysDetector } from './detectors/aws-keys';
import { azureConnectionStringDetector } from './detectors/azure-connection-string';
import { creditCardDetector } from './detectors/credit-card';
import { emailDetector } from './detectors/email';
import { genericCredentialDetector } from './detectors/generic-credential';
import { gcpServiceAccountDetector } from './detectors/gcp-service-account';
import { ibanDetector } from './detectors/iban';
import { ipAddressDetector } from './detectors/ip-address';
import { jwkPrivateKeyDetector } from './detectors/jwk-private-key';
import { jwtDetector } from './detectors/jwt';
import { passwordAssignmentDetector } from './detectors/password-assignment';
import { phoneDetector } from './detectors/phone';
import { prefixedTokensDetector } from './detectors/prefixed-tokens';
import { privateKeyDetector } from './detectors/private-key';
import { urlCredentialsDetector } from './detectors/url-credentials';
import { usSsnDetector } from './detectors/us-ssn';
import { encodedRunSpans } from './decode-runs';
import { normalise, originalSpan } from './normalise';
import { upstreamRulesDetector } from './rules/upstream-rules';
import { isKnownExampleSecret } from './validators/known-examples';
import { isPlaceholderValue } from './validators/placeholder';

/**
 * Every detector, each run over every string leaf: gitleaks' rule set first, then the hand-written detectors,
 * which keep the checks a regex cannot do (Luhn, mod-97, JWT header decoding, known-example allowlists) and the
 * PII classes.
 */
export const DETECTORS: readonly Detector[] = [
  upstreamRulesDetector,
  awsKeysDetector,
  gcpServiceAccountDetector,
  azureConnectionStringDetector,
  prefixedTokensDetector,
  privateKeyDetector,
  jwkPrivateKeyDetector,
  jwtDetector,
  urlCredentialsDetector,
  passwordAssignmentDetector,
  genericCredentialDetector,
  emailDetector,
  phoneDetector,
  creditCardDetector,
  ibanDetector,
  usSsnDetector,
  ipAddressDetector,
];

/** The length of the shortest text any detector can report. */
const MIN_FINDING_LENGTH = 6;

const CLASS_ORDER = new Map<ScreeningClass, number>(SCREENING_CLASSES.map((c, i) => [c, i]));

/**
 * Returns the rule id of a span: its own (an upstream rule id), or for a hand-written detector `modelgate-` and
 * the class in kebab case, e.g. `modelgate-credit-card`, so that it never collides with an upstream id.
 */
export function ruleOf(span: TextSpan): string {
  return span.rule ?? `modelgate-${span.class.replace(/_/g, '-')}`;
}

/**
 * Returns the sensitive spans in one string, sorted by start, then end, then class order. The detectors run on
 * the normalised text (see normalise.ts: format characters dropped, compatibility forms, look-alike letters and
 * other scripts' digits folded), and base64 or hex runs that decode to text holding a finding are reported
 * over the whole run (see decode-runs.ts); the spans are mapped back to the original text. Spans of one class
 * that overlap are one finding (a GitHub token found by gitleaks' `github-pat` and by the hand-written
 * detector, a generic assignment that an upstream rule also matched): the longest is kept, the upstream rule
 * id winning a tie. Spans of different classes may overlap (a private key inside a service account file, a
 * GitHub token inside URL credentials): each is a finding.
 */
export function detectText(text: string, decode = true): TextSpan[] {
  const spans: TextSpan[] = [];
  // Nothing any detector reports is shorter than 6 characters (an IPv6 address such as "2a0::1"); payloads
  // have many short leaves (roles, content-part types, tool names), and this skips them outright.
  if (text.length < MIN_FINDING_LENGTH) return spans;
  const normalised = normalise(text);
  for (const detector of DETECTORS) detector.detect(normalised.text, spans);
  // Base64 and hex runs are decoded and screened once (never the decoded text's own runs).
  if (decode) spans.push(...encodedRunSpans(normalised.text, (decoded) => detectText(decoded, false)));
  const kept = spans.filter((span) => {
    const value = normalised.text.slice(span.start, span.end);
    return !(
      isKnownExampleSecret(value) ||
      ((span.class === 'generic_credential' || span.class === 'api_token') && isPlaceholderValue(value))
    );
  });
  for (const span of kept) {
    span.rule = ruleOf(span);
    if (normalised.from !== undefined) Object.assign(span, originalSpan(normalised, span.start, span.end));
  }
  if (kept.length < 2) return kept;
  return dedupeByClass(withoutGenericShadows(kept)).sort(
    (a, b) =>
      a.start - b.start || a.end - b.end || (CLASS_ORDER.get(a.class) ?? 0) - (CLASS_ORDER.get(b.class) ?? 0),
  );
}

/**
 * Returns the spans less each generic credential that overlaps a finding of a more specific secret class: the
 * value assigned to `github_token =` is a `github_token`, not also a generic one.
 */
function withoutGenericShadows(spans: TextSpan[]): TextSpan[] {
  const specific = spans.filter((s) => s.class !== 'generic_credential' && categoryOf(s.class) === 'secret');
  if (specific.length === 0) return spans;
  return spans.filter(
    (s) => s.class !== 'generic_credential' || !specific.some((o) => o.start < s.end && s.start < o.end),
  );
}

/** Returns one span per group of overlapping spans of the same class: the longest, upstream first on a tie. */
function dedupeByClass(spans: TextSpan[]): TextSpan[] {
  // Upstream spans come first in `spans` (their detector runs first), so a stable sort keeps them ahead.
  const byClass = [...spans].sort(
    (a, b) =>
      (CLASS_ORDER.get(a.class) ?? 0) - (CLASS_ORDER.get(b.class) ?? 0) ||
      a.start - b.start ||
      b.end - b.start - (a.end - a.start),
  );
  const kept: TextSpan[] = [];
  let group: TextSpan | undefined;
  let groupEnd = -1;
  for (const span of byClass) {
    if (group !== undefined && span.class === group.class && span.start < groupEnd) {
      groupEnd = Math.max(groupEnd, span.end);
      if (span.end - span.start > group.end - group.start) {
        kept[kept.length - 1] = span;
        group = span;
      }
      continue;
    }
    kept.push(span);
    group = span;
    groupEnd = span.end;
  }
  return kept;
}
