/**
 * Credentials that vendors publish in their own documentation as examples. They cannot leak anything, they
 * appear in countless docs and code samples that users paste into prompts, and secret scanners skip them,
 * so reporting them would only make noise. Only exact values are listed: anything else in the same format
 * is reported. Personal-data classes have no such list (example.com addresses, 555 numbers and documentation
 * IP ranges are reported), so test data behaves like real data.
 */
const KNOWN_EXAMPLE_SECRETS: ReadonlySet<string> = new Set([
  // AWS IAM user guide and CLI docs
  'AKIAIOSFODNN7EXAMPLE',
  'ASIAIOSFODNN7EXAMPLE',
  'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  // Azurite / Azure storage emulator well-known account key
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
  // Stripe API reference test key
  'sk_test_4eC39HqLyjWDarjtT1zdp7dc',
  // The jwt.io debugger's default token
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
]);

/** Returns whether `value` is a vendor-documented example credential (see KNOWN_EXAMPLE_SECRETS). */
export function isKnownExampleSecret(value: string): boolean {
  return KNOWN_EXAMPLE_SECRETS.has(value);
}
