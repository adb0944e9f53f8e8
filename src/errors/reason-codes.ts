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
  TokenClaimsTooLarge: 'token_claims_too_large',
  TokenLifetimeTooLong: 'token_lifetime_too_long',
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
  // policy
  PolicyUnavailable: 'policy_unavailable',
  PolicyError: 'policy_error',
  PolicyOutputInvalid: 'policy_output_invalid',
  ApprovalRequired: 'approval_required',
  TokenCapZero: 'token_cap_zero',
  // storage
  AuditUnavailable: 'audit_unavailable',
  // recorded, not replied: the full record was refused (a bug) and a reduced one was kept instead
  AuditRecordReduced: 'audit_record_reduced',
  UsageUnavailable: 'usage_unavailable',
  // anything else
  InternalError: 'internal_error',
} as const;

export type ReasonCode = (typeof ReasonCode)[keyof typeof ReasonCode];
