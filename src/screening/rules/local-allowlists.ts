import type { UpstreamAllowlist } from './rule-file';

/**
 * Allowlists modelgate adds to gitleaks' rules, by rule id: each names a false positive of the pinned release,
 * written as gitleaks writes its own, so that a later release that adds the same entry makes this one redundant
 * rather than wrong.
 */
export const LOCAL_ALLOWLISTS: Readonly<Record<string, readonly UpstreamAllowlist[]>> = {
  'generic-api-key': [
    {
      // gitleaks allows key_id, access_id, api_id and credential_id, and key/secret length, name and size: a token's
      // are identifiers and settings too (`token_id=tok_…` in a log line is not the token).
      description: "A token's id, name, type or size, not the token",
      condition: 'or',
      regexTarget: 'match',
      regexes: ['(?i)token[_.-]?(?:ids?|length|name|size|type)\\b'],
      stopWords: [],
      hasPaths: false,
    },
  ],
};
