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
  TokenTypeInvalid: 'token_type_invalid',
  // a claim the issuer's required_claims names is absent or holds a value not on its list
  ClaimInvalid: 'claim_invalid',
  // sender-constrained tokens (401): RFC 7800 cnf, RFC 9449 DPoP
  // a token bound to a DPoP key, presented as Bearer
  DpopRequired: 'dpop_required',
  // the DPoP scheme with a token that is bound to no key (no cnf.jkt)
  DpopTokenUnbound: 'dpop_token_unbound',
  // a cnf claim modelgate cannot check (an mTLS certificate thumbprint, an unknown member)
  TokenBindingUnsupported: 'token_binding_unsupported',
  // the DPoP scheme without a DPoP header
  DpopProofMissing: 'dpop_proof_missing',
  // the proof is not one well-formed, well-signed dpop+jwt for this method and URL
  DpopProofInvalid: 'dpop_proof_invalid',
  // the proof's iat is outside dpop.max_age_seconds and the clock skew
  DpopProofStale: 'dpop_proof_stale',
  // the proof's jti was seen before within its window
  DpopProofReplayed: 'dpop_proof_replayed',
  // the proof is for another token (ath) or signed by a key the token is not bound to (cnf.jkt)
  DpopBindingMismatch: 'dpop_binding_mismatch',
  // with dpop.nonce required: the proof has no nonce claim (WWW-Authenticate error="use_dpop_nonce", DPoP-Nonce)
  DpopNonceMissing: 'dpop_nonce_missing',
  // with dpop.nonce: the proof's nonce is not one this service handed out, or it is too old (use_dpop_nonce too)
  DpopNonceInvalid: 'dpop_nonce_invalid',
  // identity (503): the DPoP replay cache is full of live entries, so a new proof cannot be remembered
  DpopReplayCacheFull: 'dpop_replay_cache_full',
  // identity (503): on PostgreSQL, the replay cache every replica shares cannot take the proof's claim
  DpopReplayCacheUnavailable: 'dpop_replay_cache_unavailable',
  // identity (429): this proof's key holds dpop.replay_entries_per_key live entries of the replay cache already
  DpopReplayQuotaExceeded: 'dpop_replay_quota_exceeded',
  // identity (503): an issuer's JWKS URL (or discovery document) cannot be fetched and no usable cached key set remains
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
  MethodNotAllowed: 'method_not_allowed',
  // a request node:http could not parse: headers over its limit (431), too slow to arrive (408)
  HeadersTooLarge: 'headers_too_large',
  RequestTimeout: 'request_timeout',
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
  // with approval_required: the subject has approvals.max_pending_per_subject pending already, so none was opened
  ApprovalLimitReached: 'approval_limit_reached',
  // approvals: events in the audit log, and refusals of an approval
  ApprovalRequested: 'approval_requested',
  ApprovalGranted: 'approval_granted',
  ApprovalDenied: 'approval_denied',
  ApprovalUsed: 'approval_used',
  ApprovalExpired: 'approval_expired',
  ApprovalUsedUp: 'approval_used_up',
  ApprovalMismatch: 'approval_mismatch',
  ApprovalNotPending: 'approval_not_pending',
  ApprovalForbidden: 'approval_forbidden',
  SelfApproval: 'self_approval',
  TokenCapZero: 'token_cap_zero',
  // storage
  AuditUnavailable: 'audit_unavailable',
  // recorded, not replied: the full record was refused (a bug) and a reduced one was kept instead
  AuditRecordReduced: 'audit_record_reduced',
  UsageUnavailable: 'usage_unavailable',
  // screening a large payload off the event loop ran out of its time budget (503, a deny)
  ScreeningTimeout: 'screening_timeout',
  // a feature that reads the SQLite audit file, asked of a service on PostgreSQL (database.url): 501
  NotAvailableOnPostgres: 'not_available_on_postgres',
  // replay (503): the candidate's replay ran past replay.timeout_seconds and was stopped
  ReplayTimeout: 'replay_timeout',
  // replay (503): another replay is running; one runs at a time
  ReplayBusy: 'replay_busy',
  // anything else
  InternalError: 'internal_error',
} as const;

export type ReasonCode = (typeof ReasonCode)[keyof typeof ReasonCode];

/**
 * Why a policy bundle was not activated (issue #14). Reported by GET /v1/status, the reload log
 * lines and `modelgate bundle verify`; never a decision's reason (a decision without a policy is
 * `policy_unavailable`). Stable, like the reason codes.
 */
export const BundleErrorCode = {
  /** Cannot be read: not a .tar.gz, truncated, no policy.wasm, bad JSON. */
  Invalid: 'bundle_invalid',
  /** The WASM module does not instantiate, or lacks the configured entrypoint. */
  NotLoadable: 'bundle_not_loadable',
  /** Signing is required and the bundle has no .signatures.json. */
  Unsigned: 'bundle_unsigned',
  /** .signatures.json is not `{"signatures": [one JWT]}` or the JWT cannot be decoded. */
  SignatureMalformed: 'bundle_signature_malformed',
  /** The bundle is signed but no verification key is configured for it. */
  VerificationKeyMissing: 'bundle_verification_key_missing',
  /** The key id named by the configuration or the JWT is not among `keys`. */
  KeyUnknown: 'bundle_key_unknown',
  /** The JWT's `alg` is not the algorithm configured for its key. */
  AlgorithmMismatch: 'bundle_algorithm_mismatch',
  /** The JWT signature does not verify with the key (wrong key, or tampered token). */
  SignatureInvalid: 'bundle_signature_invalid',
  /** The JWT's `exp` has passed (or `nbf` is in the future). */
  SignatureExpired: 'bundle_signature_expired',
  /** The JWT's `scope` is not the configured one. */
  ScopeMismatch: 'bundle_scope_mismatch',
  /** A file in the bundle is not listed in the signature. */
  FileUnsigned: 'bundle_file_unsigned',
  /** A file listed in the signature is not in the bundle. */
  FileMissing: 'bundle_file_missing',
  /** A file's digest differs from the one in the signature. */
  DigestMismatch: 'bundle_digest_mismatch',
  /** The signature names a digest algorithm modelgate does not accept (MD5, SHA-1, unknown). */
  HashAlgorithmUnsupported: 'bundle_hash_algorithm_unsupported',
  /** The bundle server could not be reached, timed out, or answered other than 200/304. */
  DownloadFailed: 'bundle_download_failed',
} as const;

export type BundleErrorCode = (typeof BundleErrorCode)[keyof typeof BundleErrorCode];

/**
 * Why a fetch of an issuer's key set (JWKS) or discovery document failed. Reported by GET /v1/status
 * (`issuer_keys[].fetches[].last_failure.code`); the log line of the failure has the detail. Never a decision's
 * reason (a token whose keys cannot be had is `keys_unavailable`). Stable, like the reason codes.
 */
export const KeyFetchErrorCode = {
  /** No usable reply: connection refused, DNS, TLS, or a redirect (never followed). */
  Failed: 'key_fetch_failed',
  /** No reply within the fetch timeout (5 s). */
  Timeout: 'key_fetch_timeout',
  /** A reply other than 2xx; `http_status` says which. */
  HttpStatus: 'key_fetch_http_status',
  /** A reply larger than the limit (512 KiB for a key set, 64 KiB for a discovery document). */
  TooLarge: 'key_fetch_too_large',
  /** A reply that is not JSON. */
  NotJson: 'key_fetch_not_json',
  /** A key set without one usable signature key (none, too weak, private material, not a JWKS). */
  KeySetUnusable: 'key_set_unusable',
  /** A discovery document that names another issuer than the configured one. */
  DiscoveryIssuerMismatch: 'discovery_issuer_mismatch',
  /** A discovery document that is not metadata, or has no issuer or no acceptable jwks_uri. */
  DiscoveryDocumentInvalid: 'discovery_document_invalid',
  /** The key set was not fetched: discovery has not found its jwks_uri yet (see the discovery failure). */
  JwksUriUnknown: 'jwks_uri_unknown',
} as const;

export type KeyFetchErrorCode = (typeof KeyFetchErrorCode)[keyof typeof KeyFetchErrorCode];
