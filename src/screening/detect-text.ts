import { SCREENING_CLASSES, type ScreeningClass } from './classes';
import type { Detector, TextSpan } from './detector';
import { awsKeysDetector } from './detectors/aws-keys';
import { azureConnectionStringDetector } from './detectors/azure-connection-string';
import { creditCardDetector } from './detectors/credit-card';
import { emailDetector } from './detectors/email';
import { gcpServiceAccountDetector } from './detectors/gcp-service-account';
import { ibanDetector } from './detectors/iban';
import { ipAddressDetector } from './detectors/ip-address';
import { jwtDetector } from './detectors/jwt';
import { passwordAssignmentDetector } from './detectors/password-assignment';
import { phoneDetector } from './detectors/phone';
import { prefixedTokensDetector } from './detectors/prefixed-tokens';
import { privateKeyDetector } from './detectors/private-key';
import { urlCredentialsDetector } from './detectors/url-credentials';
import { usSsnDetector } from './detectors/us-ssn';

/** Every detector, each run over every string leaf. */
export const DETECTORS: readonly Detector[] = [
  awsKeysDetector,
  gcpServiceAccountDetector,
  azureConnectionStringDetector,
  prefixedTokensDetector,
  privateKeyDetector,
  jwtDetector,
  urlCredentialsDetector,
  passwordAssignmentDetector,
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
 * Returns the sensitive spans in one string, sorted by start, then end, then class order; a span found twice
 * for the same class is kept once. Spans of different classes may overlap (a private key inside a service
 * account file, a GitHub token inside URL credentials): each is a finding.
 */
export function detectText(text: string): TextSpan[] {
  const spans: TextSpan[] = [];
  // Nothing any detector reports is shorter than 6 characters (an IPv6 address such as "2a0::1"); payloads
  // have many short leaves (roles, content-part types, tool names), and this skips them outright.
  if (text.length < MIN_FINDING_LENGTH) return spans;
  for (const detector of DETECTORS) detector.detect(text, spans);
  if (spans.length < 2) return spans;
  spans.sort(
    (a, b) =>
      a.start - b.start || a.end - b.end || (CLASS_ORDER.get(a.class) ?? 0) - (CLASS_ORDER.get(b.class) ?? 0),
  );
  return spans.filter(
    (s, i) =>
      i === 0 ||
      !(s.start === spans[i - 1]?.start && s.end === spans[i - 1]?.end && s.class === spans[i - 1]?.class),
  );
}
