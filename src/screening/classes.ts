/**
 * The sensitive-data classes modelgate reports. The names are a stable contract: policies match on them
 * (`input.payload.findings.email`) and redact obligations list them. Only ever add a class; never rename one.
 */

/** One-line descriptions of the secret classes (credentials whose leak grants access). */
export const SECRET_CLASS_DESCRIPTIONS = {
  aws_access_key: 'AWS access key id (AKIA/ASIA/ABIA/ACCA + 16 base32 characters)',
  aws_secret_key:
    'AWS secret access key: 40 characters after an aws_secret_access_key-style name or near an access key id',
  gcp_service_account_key:
    'Google Cloud service account key file (JSON with "type": "service_account" and a private key)',
  azure_connection_string: 'Azure connection string key (AccountKey=… or SharedAccessKey=…)',
  github_token: 'GitHub token (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_)',
  gitlab_token:
    'GitLab token (glpat-, gldt-, glptt-, glrt-, glcbt-, glft-, glimt-, glagent-, glsoat-, gloas-)',
  slack_token: 'Slack token (xoxb-, xoxp-, xoxa-, xoxo-, xoxr-, xoxs-) or incoming-webhook URL',
  stripe_key: 'Stripe secret or restricted key (sk_live_, rk_live_, sk_test_, rk_test_)',
  npm_token: 'npm access token (npm_ + 36 characters)',
  openai_api_key: 'OpenAI API key (sk-, sk-proj-, sk-svcacct-, sk-admin-)',
  anthropic_api_key: 'Anthropic API key (sk-ant-…)',
  private_key: 'PEM or OpenSSH or PGP private key block (-----BEGIN … PRIVATE KEY-----)',
  jwt: 'JSON Web Token: three base64url segments whose header decodes to JSON with "alg"',
  url_credentials: 'user:password in a URL (scheme://user:password@host)',
  password_assignment: 'a literal password assigned to a password/passwd/pwd/passphrase name',
  api_token:
    'credential of a vendor format in the gitleaks rule set with no class of its own (rule id: the vendor)',
  generic_credential:
    'credential-shaped value assigned to a token/key/secret/auth name, or in a curl auth flag',
} as const;

/** One-line descriptions of the personal-data classes. */
export const PII_CLASS_DESCRIPTIONS = {
  email: 'email address',
  phone: 'phone number in international (+CC / 00CC), North American or trunk-0 national format',
  credit_card: 'payment card number: 13–19 digits, known issuer prefix and length, Luhn-checked',
  iban: 'IBAN with a known country length and a valid mod-97 checksum, with or without spaces',
  us_ssn: 'US social security number (AAA-GG-SSSS, or 9 digits after "SSN"), invalid ranges excluded',
  ip_address: 'public IPv4 or IPv6 address (private, loopback, link-local, multicast and reserved excluded)',
  national_id:
    'national identity number (UK, ES, IT, FR, BR, IN, PL, NL, SE, CA, FI, SG, KR), checked as its issuer publishes',
} as const;

/** A secret class name. */
export type SecretClass = keyof typeof SECRET_CLASS_DESCRIPTIONS;
/** A personal-data class name. */
export type PiiClass = keyof typeof PII_CLASS_DESCRIPTIONS;
/** Any class name screening reports. */
export type ScreeningClass = SecretClass | PiiClass;

/** The secret class names, in report order. */
export const SECRET_CLASSES = Object.keys(SECRET_CLASS_DESCRIPTIONS) as readonly SecretClass[];
/** The personal-data class names, in report order. */
export const PII_CLASSES = Object.keys(PII_CLASS_DESCRIPTIONS) as readonly PiiClass[];
/** The two categories: every class is in exactly one. */
export const CATEGORIES = ['secret', 'pii'] as const;
/** A category name. */
export type Category = (typeof CATEGORIES)[number];

/** Returns the category of a class. */
export function categoryOf(cls: ScreeningClass): Category {
  return cls in SECRET_CLASS_DESCRIPTIONS ? 'secret' : 'pii';
}

/** Every class name, secrets first: the enum a redact obligation's `classes` may use. */
export const SCREENING_CLASSES: readonly ScreeningClass[] = [...SECRET_CLASSES, ...PII_CLASSES];
/** The description of every class, for documentation and the OpenAPI document. */
export const CLASS_DESCRIPTIONS: Readonly<Record<ScreeningClass, string>> = {
  ...SECRET_CLASS_DESCRIPTIONS,
  ...PII_CLASS_DESCRIPTIONS,
};

const KNOWN = new Set<string>(SCREENING_CLASSES);

/** Returns whether `name` is a class screening reports. */
export function isScreeningClass(name: string): name is ScreeningClass {
  return KNOWN.has(name);
}
