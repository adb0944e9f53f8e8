import { SCREENING_CLASSES, categoryOf, type ScreeningClass } from './classes';
import type { Detector, Joins, TextSpan } from './detector';
import { awsKeysDetector } from './detectors/aws-keys';
import { azureConnectionStringDetector } from './detectors/azure-connection-string';
import { creditCardDetector } from './detectors/credit-card';
import { emailDetector } from './detectors/email';
import { genericCredentialDetector } from './detectors/generic-credential';
import { gcpServiceAccountDetector } from './detectors/gcp-service-account';
import { hexKeyAssignmentDetector } from './detectors/hex-key-assignment';
import { ibanDetector } from './detectors/iban';
import { ipAddressDetector } from './detectors/ip-address';
import { jwkPrivateKeyDetector } from './detectors/jwk-private-key';
import { jwtDetector } from './detectors/jwt';
import { nationalIdDetector } from './detectors/national-id';
import { passwordAssignmentDetector } from './detectors/password-assignment';
import { phoneDetector } from './detectors/phone';
import { prefixedTokensDetector } from './detectors/prefixed-tokens';
import { vendorShapesDetector } from './detectors/vendor-shapes';
import { privateKeyDetector } from './detectors/private-key';
import { urlCredentialsDetector } from './detectors/url-credentials';
import { usSsnDetector } from './detectors/us-ssn';
import { encodedRunSpans } from './decode-runs';
import { normalise, originalSpan, type Normalised } from './normalise';
import { upstreamRulesDetector } from './rules/upstream-rules';
import { isKnownExampleSecret } from './validators/known-examples';
import { isMemberPath } from './validators/code-expression';
import { isAuthValueWithoutPair } from './validators/docker-auth';
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
  vendorShapesDetector,
  privateKeyDetector,
  jwkPrivateKeyDetector,
  jwtDetector,
  urlCredentialsDetector,
  passwordAssignmentDetector,
  genericCredentialDetector,
  hexKeyAssignmentDetector,
  emailDetector,
  phoneDetector,
  creditCardDetector,
  ibanDetector,
  usSsnDetector,
  ipAddressDetector,
  nationalIdDetector,
];

/** The detectors that can report a secret (category `secret`): the ones the junction of two values needs. */
export const SECRET_DETECTORS: readonly Detector[] = DETECTORS.filter(
  (d) =>
    ![
      emailDetector,
      phoneDetector,
      creditCardDetector,
      ibanDetector,
      usSsnDetector,
      ipAddressDetector,
    ].includes(d),
);

/** Options of detectText. */
export interface DetectOptions {
  /**
   * How many layers of base64 and hex encoding are decoded and screened (default DECODE_DEPTH; each decoded run
   * is screened with one layer less).
   */
  decodeDepth?: number;
  /**
   * Run only the detectors that can report a secret (default false): for the join of two values, where only a
   * secret split in two is looked for. The result is then a subset of the full result's secret spans, except
   * that an encoded run is reported with the first secret inside it rather than its first finding.
   */
  secretsOnly?: boolean;
}

/**
 * Detectors that read beyond a match (an AWS secret near an access key id, the fields of a service account
 * file, a JWK's key type, a PEM footer, a phone label): on joined texts each runs on each text alone, and only when the joined
 * text holds what it looks for (the same test each makes first).
 */
const WIDE_CONTEXT = new Map<Detector, (text: string) => boolean>([
  [awsKeysDetector, (t) => /A(?:KIA|SIA|BIA|CCA)/.test(t) || /secret_?(?:access_?)?key/i.test(t)],
  [gcpServiceAccountDetector, (t) => t.includes('service_account')],
  [jwkPrivateKeyDetector, (t) => t.includes('"kty"')],
  [privateKeyDetector, (t) => t.includes('----BEGIN')],
  // A phone number counts after a label up to 25 characters back, and each text has its own budget of
  // metadata parses (see phone.ts).
  [phoneDetector, (t) => /\d/.test(t)],
]);

/**
 * Returns true when `text` holds what a secret detector that reads beyond its match looks for (an access key id,
 * a service account's type, a JWK, a PEM header): a split secret of theirs may need all of the text around it.
 */
export function wantsWideContext(text: string): boolean {
  for (const [detector, wants] of WIDE_CONTEXT)
    if (SECRET_DETECTORS.includes(detector) && wants(text)) return true;
  return false;
}

/** Calls `fn` with the range of each text of joined `text`. */
function eachText(text: string, joins: Joins, fn: (from: number, to: number) => void): void {
  joins.starts.forEach((from, i) => fn(from, joins.ends[i] as number));
}

/** Runs a detector on text[from, to) and adds its spans with offsets in `text`. */
function detectSlice(detector: Detector, text: string, from: number, to: number, out: TextSpan[]): void {
  if (to - from < MIN_FINDING_LENGTH) return;
  const found: TextSpan[] = [];
  detector.detect(text.slice(from, to), found);
  for (const span of found) out.push({ ...span, start: span.start + from, end: span.end + from });
}

/**
 * Layers of encoding screening looks through: a secret base64-encoded twice (or hex inside base64) is found.
 * Each layer is bounded in size (decode-runs.ts), so the work stays linear in the text.
 */
export const DECODE_DEPTH = 2;

/** The length of the shortest text any detector can report. */
export const MIN_FINDING_LENGTH = 6;

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
export function detectText(text: string, options: DetectOptions = {}): TextSpan[] {
  // Nothing any detector reports is shorter than 6 characters (an IPv6 address such as "2a0::1"); payloads
  // have many short leaves (roles, content-part types, tool names), and this skips them outright.
  if (text.length < MIN_FINDING_LENGTH) return [];
  return detectNormalised(normalise(text), options);
}

/**
 * detectText on a text already normalised. `joins`, when the text is many texts joined (see detect-joined.ts),
 * makes each text keep what screening it alone gives: its own decoding budget, the wide-context detectors run
 * on it alone, and matches over a join reported in `joins.unsure`.
 */
export function detectNormalised(
  normalised: Normalised,
  options: DetectOptions = {},
  joins?: Joins,
): TextSpan[] {
  const spans: TextSpan[] = [];
  const secretsOnly = options.secretsOnly === true;
  const text = normalised.text;
  for (const detector of secretsOnly ? SECRET_DETECTORS : DETECTORS) {
    const wants = WIDE_CONTEXT.get(detector);
    if (joins === undefined || wants === undefined) detector.detect(text, spans, joins);
    else if (wants(text)) eachText(text, joins, (from, to) => detectSlice(detector, text, from, to, spans));
  }
  const segments = joins?.starts;
  // Base64 and hex runs are decoded and screened, and so are the runs inside them, DECODE_DEPTH layers deep.
  const depth = options.decodeDepth ?? DECODE_DEPTH;
  if (depth > 0) {
    const inner = (decoded: string): TextSpan[] =>
      detectText(decoded, { decodeDepth: depth - 1, secretsOnly });
    spans.push(...encodedRunSpans(normalised.text, inner, segments));
  }
  const kept = spans.filter((span) => {
    const value = normalised.text.slice(span.start, span.end);
    return !(
      isKnownExampleSecret(value) ||
      ((span.class === 'generic_credential' || span.class === 'api_token') && isPlaceholderValue(value)) ||
      // gitleaks' generic-api-key takes `key = a_b.c` for a key; a vendor token's own shape is never a path.
      (span.class === 'generic_credential' && isMemberPath(value)) ||
      // A Docker config "auth" that decodes to no user:password pair is no credential, whichever rule took it.
      (span.class === 'generic_credential' && isAuthValueWithoutPair(normalised.text, span.start, value))
    );
  });
  for (const span of kept) {
    span.rule = ruleOf(span);
    if (normalised.from !== undefined) Object.assign(span, originalSpan(normalised, span.start, span.end));
  }
  if (kept.length < 2) return kept;
  return dedupeByClass(withoutIdShadows(withoutGenericShadows(kept))).sort(
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

/**
 * Returns the spans less each phone or card number that lies within a national id: a French NIR can pass Luhn,
 * a Canadian SIN or a PESEL can pass for a phone number, and the id, checked by its own rule, is what it is.
 */
function withoutIdShadows(spans: TextSpan[]): TextSpan[] {
  const ids = spans.filter((s) => s.class === 'national_id');
  if (ids.length === 0) return spans;
  return spans.filter(
    (s) =>
      (s.class !== 'phone' && s.class !== 'credit_card') ||
      !ids.some((id) => id.start <= s.start && s.end <= id.end),
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
