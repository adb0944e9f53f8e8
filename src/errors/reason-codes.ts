/**
 * Reason codes modelgate itself produces. Policies add their own (see rego/README.md).
 * Every code here is stable and documented in the README; never rename one.
 */
export const ReasonCode = {
  // identity (401)
  TokenMissing: 'token_missing',
  TokenMalformed: 'token_malformed',
  IssuerUnknown: 'issuer_unknown',
  AlgorithmNotAllowed: 'algorithm_not_allowed',
  SignatureInvalid: 'signature_invalid',
  TokenExpired: 'token_expired',
  TokenNotYetValid: 'token_not_yet_valid',
  AudienceInvalid: 'audience_invalid',
  SubjectMissing: 'subject_missing',
  KeyUnknown: 'key_unknown',
  // identity (503): an issuer's JWKS URL cannot be fetched and no usable cached key set remains
  KeysUnavailable: 'keys_unavailable',
  // authorization of modelgate's own API (403)
  ScopeMissing: 'scope_missing',
  NotOwner: 'not_owner',
  // request (4xx)
  BadRequest: 'bad_request',
  BodyInvalid: 'body_invalid',
  BodyTooLarge: 'body_too_large',
  BodyTooDeep: 'body_too_deep',
  PayloadTooLarge: 'payload_too_large',
  UnsupportedMediaType: 'unsupported_media_type',
  NotFound: 'not_found',
  Conflict: 'conflict',
  // decision lineage (400): context.parent_decision_id names a decision the caller may not continue
  ParentInvalid: 'parent_invalid',
  ParentNotFound: 'parent_not_found',
  ParentStale: 'parent_stale',
  ParentNotAllowed: 'parent_not_allowed',
  ParentForeign: 'parent_foreign',
  // policy
  PolicyUnavailable: 'policy_unavailable',
  PolicyError: 'policy_error',
  PolicyOutputInvalid: 'policy_output_invalid',
  ApprovalRequired: 'approval_required',
  TokenCapZero: 'token_cap_zero',
  // storage
  AuditUnavailable: 'audit_unavailable',
  UsageUnavailable: 'usage_unavailable',
  // anything else
  InternalError: 'internal_error',
} as const;

export type ReasonCode = (typeof ReasonCode)[keyof typeof ReasonCode];
