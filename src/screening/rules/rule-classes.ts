import type { ScreeningClass } from '../classes';

/**
 * Upstream rules whose findings belong to an existing, more specific class: a policy that already matches
 * `github_token` keeps matching a GitHub token found by gitleaks' `github-pat` rule.
 */
const BY_PREFIX: ReadonlyArray<readonly [string, ScreeningClass]> = [
  ['aws-access-token', 'aws_access_key'],
  ['github-', 'github_token'],
  ['gitlab-', 'gitlab_token'],
  ['slack-', 'slack_token'],
  ['stripe-', 'stripe_key'],
  ['npm-access-token', 'npm_token'],
  ['openai-', 'openai_api_key'],
  ['anthropic-', 'anthropic_api_key'],
  ['private-key', 'private_key'],
  ['jwt', 'jwt'],
  ['generic-api-key', 'generic_credential'],
  ['curl-auth-', 'generic_credential'],
];

/** Returns the class of an upstream rule's findings: a specific class, or `api_token` for any other vendor. */
export function classOfRule(ruleId: string): ScreeningClass {
  for (const [prefix, cls] of BY_PREFIX) if (ruleId === prefix || ruleId.startsWith(prefix)) return cls;
  return 'api_token';
}
