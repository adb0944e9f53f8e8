import type { FromSchema } from 'json-schema-to-ts';
import { decisionLogsConfigSchema } from './decision-logs-config.schema';
import { ASYMMETRIC_JWT_ALGORITHMS, issuerConfigSchema } from './issuer-config.schema';
import { bundleKeysSchema, bundleServicesSchema, bundlesSchema } from './bundles-config.schema';

const int = (description: string, example: number, minimum: number, maximum: number) =>
  ({ type: 'integer', minimum, maximum, description, examples: [example] }) as const;

/** The service configuration file (YAML or JSON), named by MODELGATE_CONFIG. Every key has a default. */
export const configSchema = {
  $id: 'https://modelgate.dev/schemas/config.json',
  title: 'ModelgateConfig',
  type: 'object',
  description: 'modelgate configuration. Paths are relative to the folder of the config file.',
  additionalProperties: false,
  properties: {
    port: int('TCP port to listen on (env PORT).', 8080, 0, 65535),
    host: {
      type: 'string',
      description: 'Address to bind (env HOST). Loopback by default; 0.0.0.0 in containers.',
      examples: ['127.0.0.1'],
    },
    db: {
      type: 'string',
      minLength: 1,
      description: 'SQLite audit database file (env MODELGATE_DB).',
      examples: ['/var/lib/modelgate/modelgate.db'],
    },
    database: {
      type: 'object',
      additionalProperties: false,
      description:
        'Shared PostgreSQL for several replicas (audit log, usage reports). Without it the SQLite file `db` is used.',
      properties: {
        url: {
          type: 'string',
          pattern: '^postgres(ql)?://',
          description:
            'postgres:// connection URL (env MODELGATE_DATABASE_URL); keep the password out of the file.',
          examples: ['postgres://modelgate@db:5432/modelgate'],
        },
        pool_size: int('Connections per replica.', 10, 1, 100),
      },
      required: ['url'],
    },
    data_dir: {
      type: 'string',
      minLength: 1,
      description: 'Folder for local state: the development issuer key pair (env MODELGATE_DATA_DIR).',
      examples: ['.modelgate'],
    },
    bundle: {
      type: 'string',
      minLength: 1,
      description:
        'OPA bundle: a .tar.gz built by `opa build -t wasm`, or its extracted folder (env MODELGATE_BUNDLE).',
      examples: ['bundles/modelgate.tar.gz'],
    },
    bundle_name: {
      type: 'string',
      minLength: 1,
      description: 'Name reported for the bundle; default: its file name.',
      examples: ['modelgate'],
    },
    entrypoint: {
      type: 'string',
      pattern: '^[A-Za-z0-9_]+(/[A-Za-z0-9_]+)*$',
      description: 'The policy entrypoint evaluated by /v1/decide.',
      examples: ['modelgate/decision'],
    },
    default_decision: {
      type: 'string',
      pattern: '^[A-Za-z0-9_]+(/[A-Za-z0-9_]+)*$',
      description: "The policy path OPA's default decision (`POST /`) evaluates; default: `entrypoint`.",
      examples: ['modelgate/decision'],
    },
    issuers: {
      type: 'array',
      items: issuerConfigSchema,
      description: 'Trusted token issuers. Empty or absent: development mode with a generated local issuer.',
      examples: [[]],
    },
    dpop: {
      type: 'object',
      additionalProperties: false,
      required: ['public_urls'],
      description:
        'DPoP (RFC 9449): tokens bound to a key (cnf.jkt) are taken as Authorization: DPoP with a proof of that key on every request. Without this section the DPoP scheme is refused, and so are bound tokens.',
      examples: [{ public_urls: ['https://modelgate.corp'] }],
      properties: {
        public_urls: {
          type: 'array',
          minItems: 1,
          maxItems: 32,
          uniqueItems: true,
          items: { type: 'string', minLength: 1, maxLength: 2048, pattern: '^[Hh][Tt][Tt][Pp][Ss]?://' },
          description:
            'The URLs callers reach this service at (scheme, host, port, and a path prefix a proxy strips): a proof’s htu must be one of them followed by the request path. The Host and X-Forwarded-* headers are never trusted for this.',
          examples: [['https://modelgate.corp', 'https://gateway.corp/modelgate']],
        },
        algorithms: {
          type: 'array',
          minItems: 1,
          uniqueItems: true,
          items: { type: 'string', enum: ASYMMETRIC_JWT_ALGORITHMS },
          description: 'The alg values a proof may be signed with; asymmetric only. Default: all of them.',
          examples: [['ES256', 'PS256']],
        },
        max_age_seconds: int('How old a proof’s iat may be (plus the clock skew).', 60, 1, 600),
        clock_skew_seconds: int(
          'Tolerance for the caller’s clock, applied to iat as issuers apply theirs.',
          30,
          0,
          300,
        ),
        replay_cache_entries: int(
          'The most proofs remembered (per replica) to refuse a replayed jti; when full of live ones, new proofs get 503.',
          200000,
          100,
          10_000_000,
        ),
        replay_entries_per_key: int(
          'The most of those one proof key may hold (per replica); past it that key’s proofs get 429 and others go on. At most replay_cache_entries.',
          10000,
          1,
          10_000_000,
        ),
        nonce: {
          type: 'object',
          additionalProperties: false,
          required: ['required'],
          description:
            'Server-provided nonces (RFC 9449 section 8): every reply carries DPoP-Nonce; a proof without a valid nonce gets 401 use_dpop_nonce.',
          examples: [{ required: true, secret_file: 'dpop-nonce.secret' }],
          properties: {
            required: {
              type: 'boolean',
              description:
                'true: a proof must carry a nonce. false (to roll out): nonces are handed out and checked when a proof carries one.',
              examples: [true],
            },
            lifetime_seconds: int(
              'How long one nonce is handed out; each is accepted until the end of the next such period.',
              300,
              10,
              3600,
            ),
            secret_file: {
              type: 'string',
              minLength: 1,
              description:
                'File holding the HMAC secret nonces are made with (at least 32 characters; surrounding whitespace ignored); every replica needs the same. Absent: a random secret per process, for one replica only.',
              examples: ['dpop-nonce.secret'],
            },
          },
        },
      },
    },
    auditor_scope: {
      type: 'string',
      minLength: 1,
      description: 'Scope that may read the audit log and anyone’s usage.',
      examples: ['modelgate:audit'],
    },
    log_level: {
      type: 'string',
      enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      description: 'Log level (env LOG_LEVEL).',
      examples: ['info'],
    },
    limits: {
      type: 'object',
      additionalProperties: false,
      description: 'Request limits.',
      examples: [{ body_bytes: 1048576 }],
      properties: {
        body_bytes: int('Largest request body; larger gets 413.', 1048576, 1024, 64 * 1024 * 1024),
        payload_chars: int(
          'Most payload text screened (string values, keys, numbers); more gets 413.',
          262144,
          1024,
          16 * 1024 * 1024,
        ),
        max_depth: int('Deepest JSON nesting; deeper gets 400.', 32, 4, 256),
        max_array_items: int('Longest JSON array; longer gets 400.', 10000, 16, 1_000_000),
      },
    },
    screening: {
      type: 'object',
      additionalProperties: false,
      description: 'Sensitive-data screening.',
      examples: [{ redaction_format: '[REDACTED:<class>]' }],
      properties: {
        redaction_format: {
          type: 'string',
          minLength: 1,
          maxLength: 128,
          description: 'Replacement for a redacted span; `<class>` is replaced by the class name.',
          examples: ['[REDACTED:<class>]'],
        },
        inline_chars: int(
          'Payloads with at most this much text, in at most a quarter as many values, are screened on the event loop; larger ones on a screening thread.',
          16384,
          0,
          16 * 1024 * 1024,
        ),
        budget_ms: int(
          'Time a payload screened on a thread has for screening, and again for redaction; beyond, 503 screening_timeout.',
          2000,
          1,
          60_000,
        ),
        threads: int('Screening threads; 0 or absent: cores less one, at most 4, at least 1.', 0, 0, 64),
        share_small: {
          type: 'boolean',
          description:
            'Send smaller payloads to a screening thread that has room, else screen them inline; absent: true with two cores or more.',
          examples: [true],
        },
        cache_entries: int(
          "Texts whose findings each screening thread and the event loop remember (by SHA-256, per caller): a caller's earlier turns are not screened again; 0 turns it off.",
          131072,
          0,
          4_194_304,
        ),
      },
    },
    audit: {
      type: 'object',
      additionalProperties: false,
      description: 'The audit log.',
      examples: [{ synchronous: 'FULL' }],
      properties: {
        synchronous: {
          type: 'string',
          enum: ['FULL', 'NORMAL'],
          description: 'SQLite synchronous mode: FULL survives power loss, NORMAL survives a process crash.',
          examples: ['FULL'],
        },
        checkpoint: {
          type: 'object',
          additionalProperties: false,
          required: ['private_key_file'],
          description: 'Sign the chain head with Ed25519 every N records or T seconds.',
          examples: [{ private_key_file: 'audit-signing.pem', every_records: 1000, every_seconds: 60 }],
          properties: {
            private_key_file: {
              type: 'string',
              minLength: 1,
              description: 'Ed25519 private key (PEM).',
              examples: ['audit-signing.pem'],
            },
            every_records: int('Sign after this many records.', 1000, 1, 10_000_000),
            every_seconds: int('Sign at least this often while records arrive.', 60, 1, 86400),
          },
        },
        context_bytes: int(
          'Canonical JSON bytes of a request context a record keeps; beyond, length and hash.',
          4096,
          256,
          1048576,
        ),
        claims_bytes: int(
          'Canonical JSON bytes of token claims a record keeps; beyond, length and hash.',
          4096,
          256,
          1048576,
        ),
        anonymous_records_per_minute: int(
          'Rejections without a verified token recorded one by one per source, reason and minute; ' +
            'the rest become one record with a count. 0: record every one.',
          10,
          0,
          1_000_000,
        ),
        anonymous_sources_per_minute: int(
          'Distinct sources counted apart per minute; beyond, they share one counted record.',
          10000,
          1,
          1_000_000,
        ),
        disk_warn_free_mb: int(
          'Free space (MiB) on the database volume below which /ready warns.',
          1024,
          0,
          16 * 1024 * 1024,
        ),
      },
    },
    keys: bundleKeysSchema,
    services: bundleServicesSchema,
    bundles: bundlesSchema,
    operator_scope: {
      type: 'string',
      minLength: 1,
      description: 'Scope that may read GET /v1/status (as may the auditor scope).',
      examples: ['modelgate:operate'],
    },
    approvals: {
      type: 'object',
      additionalProperties: false,
      description: 'Approvals: who approves, which policy entrypoint decides that, and the webhook.',
      examples: [{ approver_scope: 'modelgate:approve', webhook: { url: 'https://hooks.corp/modelgate' } }],
      properties: {
        approver_scope: {
          type: 'string',
          minLength: 1,
          description: 'Scope a token needs to approve or deny.',
          examples: ['modelgate:approve'],
        },
        entrypoint: {
          type: 'string',
          pattern: '^[A-Za-z0-9_]+(/[A-Za-z0-9_]+)*$',
          description: 'Policy entrypoint that says whether an approver may decide a request.',
          examples: ['modelgate/approve'],
        },
        expiry_sweep_seconds: int('How often overdue approvals are expired and recorded.', 30, 1, 3600),
        max_pending_per_subject: int(
          'Most approvals one subject (of one issuer) may have pending at once; a request past it is denied approval_limit_reached and nobody is asked.',
          20,
          1,
          10000,
        ),
        public_url: {
          type: 'string',
          format: 'uri',
          description:
            'Where people reach this service; links in notifications point here. Default: its own URL.',
          examples: ['https://modelgate.corp'],
        },
        webhook: {
          type: 'object',
          additionalProperties: false,
          required: ['url', 'secret_file'],
          description: 'Announce pending approvals with a signed JSON POST.',
          examples: [{ url: 'https://hooks.corp/modelgate', secret_file: 'webhook.secret' }],
          properties: {
            url: {
              type: 'string',
              format: 'uri',
              description: 'Receiver URL.',
              examples: ['https://hooks.corp/x'],
            },
            secret_file: {
              type: 'string',
              minLength: 1,
              description: 'File holding the HMAC-SHA256 key (surrounding whitespace ignored).',
              examples: ['webhook.secret'],
            },
            max_attempts: int('Attempts per notification.', 5, 1, 20),
            backoff_ms: int('Wait before the second attempt; doubles after each.', 1000, 1, 600_000),
            timeout_ms: int('Per attempt.', 5000, 100, 60_000),
          },
        },
      },
    },
    console: {
      type: 'object',
      additionalProperties: false,
      description: 'The reviewer console at /console.',
      examples: [{ oidc: { issuer: 'https://idp.corp', client_id: 'modelgate-console' } }],
      properties: {
        oidc: {
          type: 'object',
          additionalProperties: false,
          required: ['issuer', 'client_id'],
          description: 'Sign-in with authorisation code and PKCE at one of the trusted issuers.',
          examples: [{ issuer: 'https://idp.corp', client_id: 'modelgate-console', scope: 'openid' }],
          properties: {
            issuer: {
              type: 'string',
              format: 'uri',
              description: 'Must be one of `issuers`.',
              examples: ['https://idp.corp'],
            },
            client_id: {
              type: 'string',
              minLength: 1,
              description: 'A public client.',
              examples: ['modelgate-console'],
            },
            scope: {
              type: 'string',
              minLength: 1,
              description: 'Scopes to ask for; default "openid".',
              examples: ['openid modelgate:approve'],
            },
          },
        },
      },
    },
    metrics: {
      type: 'object',
      additionalProperties: false,
      description:
        'GET /metrics (Prometheus). Default: on the service port, loopback callers only, since metrics ' +
        'name bundle revisions, reason codes and traffic volumes.',
      examples: [{ access: 'loopback' }],
      properties: {
        enabled: { type: 'boolean', description: 'Serve /metrics at all.', examples: [true] },
        access: {
          type: 'string',
          enum: ['loopback', 'scope', 'open'],
          description:
            'On the service port: loopback callers only (not relayed by a proxy), bearer tokens with `scope`, or anyone. Ignored with `port`.',
          examples: ['loopback'],
        },
        scope: {
          type: 'string',
          minLength: 1,
          description: 'The scope a token needs with access "scope".',
          examples: ['modelgate:metrics'],
        },
        port: int(
          'A separate metrics-only listener, without authentication; /metrics leaves the service port.',
          9464,
          0,
          65535,
        ),
        host: {
          type: 'string',
          description: 'Address of the metrics listener; default 127.0.0.1.',
          examples: ['0.0.0.0'],
        },
        max_reason_codes: int(
          'Distinct reason codes of the policy kept as label values; the rest count as "other" (modelgate\'s own always keep theirs).',
          100,
          1,
          10000,
        ),
        subject_label_limit: int(
          'Per-subject decision counts for the first N subjects (0: off, the default).',
          0,
          0,
          10000,
        ),
      },
    },
    logging: {
      type: 'object',
      additionalProperties: false,
      description: 'Log lines beyond the service log.',
      examples: [{ decisions: 'info' }],
      properties: {
        decisions: {
          type: 'string',
          enum: ['info', 'debug', 'trace', 'off'],
          description: 'Level of the one JSON line per decision (never payload text or tokens).',
          examples: ['info'],
        },
      },
    },
    decision_logs: decisionLogsConfigSchema,
    tracing: {
      type: 'object',
      additionalProperties: false,
      required: ['otlp_endpoint'],
      description:
        'OpenTelemetry spans of each decision and its stages, sent with OTLP over HTTP. Absent: off.',
      examples: [{ otlp_endpoint: 'http://localhost:4318/v1/traces' }],
      properties: {
        otlp_endpoint: {
          type: 'string',
          pattern: '^https?://',
          description: 'The OTLP/HTTP traces URL of a collector.',
          examples: ['http://localhost:4318/v1/traces'],
        },
        service_name: {
          type: 'string',
          minLength: 1,
          description: 'service.name of the spans; default modelgate.',
          examples: ['modelgate'],
        },
        sample_ratio: {
          type: 'number',
          minimum: 0,
          maximum: 1,
          description: 'Share of new traces sampled; a caller traceparent decides for its own trace.',
          examples: [1],
        },
        follow_caller_sampling: {
          type: 'boolean',
          description:
            "Whether a caller's sampled flag decides for its trace (default true, as W3C has it); false samples callers' traces at sample_ratio too, so a caller cannot raise the tracing bill.",
          examples: [true],
        },
        headers: {
          type: 'object',
          additionalProperties: { type: 'string' },
          maxProperties: 16,
          description: 'Headers sent to the collector.',
          examples: [{ 'x-api-key': '...' }],
        },
        export_delay_ms: int('Longest wait before a batch of spans is exported.', 5000, 10, 60000),
      },
    },
    usage: {
      type: 'object',
      additionalProperties: false,
      description: 'Budgets and rate limits bookkeeping.',
      examples: [{ reservation_ttl_seconds: 86400 }],
      properties: {
        reservation_ttl_seconds: int(
          'How long an unreported reservation counts and can still be reported.',
          86400,
          60,
          7 * 86400,
        ),
        max_subjects_in_memory: int(
          'The most subjects whose usage is held in memory; beyond it the least recently used are dropped ' +
            'and read back from the audit log when needed (exact, a query each). Default 100000.',
          100000,
          100,
          100_000_000,
        ),
        reporter_scope: {
          type: 'string',
          minLength: 1,
          description:
            'Scope of a trusted usage reporter (a gateway): its reports settle any decision up or down. ' +
            'A caller reporting its own usage without it may only raise what its decision reserved.',
          examples: ['modelgate:usage-report'],
        },
        trusted_reporters: {
          type: 'array',
          maxItems: 256,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['issuer'],
            properties: {
              issuer: {
                type: 'string',
                minLength: 1,
                description: 'Issuer of the reporter.',
                examples: ['https://idp.corp'],
              },
              subject: {
                type: 'string',
                minLength: 1,
                description: 'Its subject; absent: every subject of that issuer.',
                examples: ['spiffe://corp/llm-gateway'],
              },
            },
          },
          description: 'Identities trusted as usage reporters without the scope.',
          examples: [[{ issuer: 'https://idp.corp', subject: 'spiffe://corp/llm-gateway' }]],
        },
      },
    },
    authzen: {
      type: 'object',
      additionalProperties: false,
      description: 'The OpenID AuthZEN Authorization API (/access/v1/evaluation and /access/v1/evaluations).',
      examples: [{ entrypoint: 'authzen/decision', policy_decision_point: 'https://modelgate.example.com' }],
      properties: {
        entrypoint: {
          type: 'string',
          pattern: '^[A-Za-z0-9_]+(/[A-Za-z0-9_]+)*$',
          description: 'The entrypoint (in the loaded bundle) that answers AuthZEN evaluations.',
          examples: ['authzen/decision'],
        },
        policy_decision_point: {
          type: 'string',
          pattern: '^https?://[^?#]+[^/?#]$',
          description:
            'The PDP identifier published in /.well-known/authzen-configuration; default: the request origin.',
          examples: ['https://modelgate.example.com'],
        },
      },
    },
    reports: {
      type: 'object',
      additionalProperties: false,
      description: 'The privileges report (granted against used).',
      examples: [{ entitlements_path: 'entitlements.subjects' }],
      properties: {
        entitlements_path: {
          type: 'string',
          minLength: 1,
          maxLength: 256,
          pattern: '^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$',
          description: 'Dotted path of the subject → entitlement map in the bundle data.',
          examples: ['entitlements.subjects'],
        },
      },
    },
    replay: {
      type: 'object',
      additionalProperties: false,
      description:
        'POST /v1/replay: recorded traffic against a candidate bundle, on a worker thread of its own.',
      examples: [{ timeout_seconds: 300 }],
      properties: {
        timeout_seconds: {
          type: 'integer',
          minimum: 1,
          maximum: 86_400,
          description:
            'How long one replay may run before it is stopped with 503 replay_timeout (default 300): a slow candidate ' +
            'must not hold a core for ever. Narrow a replay that needs longer with since, until, subject or limit.',
          examples: [300],
        },
      },
    },
    shutdown: {
      type: 'object',
      additionalProperties: false,
      description:
        "What SIGTERM and SIGINT do (as OPA's --shutdown-wait-period and --shutdown-grace-period): /ready turns 503 " +
        'and every reply closes its connection; after the wait the listener closes and in-flight requests get the grace.',
      examples: [{ wait_period_seconds: 5, grace_period_seconds: 10 }],
      properties: {
        wait_period_seconds: int(
          'How long to keep serving after the signal, not ready, so load balancers move traffic away first.',
          5,
          0,
          300,
        ),
        grace_period_seconds: int(
          'How long in-flight requests get to finish once the listener has closed; then they are dropped.',
          10,
          1,
          300,
        ),
      },
    },
    lineage: {
      type: 'object',
      additionalProperties: false,
      description: 'Decision lineage: context.parent_decision_id checks.',
      examples: [{ max_parent_age_seconds: 3600 }],
      properties: {
        max_parent_age_seconds: int(
          'How old a parent decision may be for a request to name it as its parent.',
          3600,
          1,
          30 * 86400,
        ),
      },
    },
  },
} as const;

export type ConfigFile = FromSchema<typeof configSchema>;
