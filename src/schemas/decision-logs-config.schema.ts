const int = (description: string, example: number, minimum: number, maximum: number) =>
  ({ type: 'integer', minimum, maximum, description, examples: [example] }) as const;
const file = (description: string, example: string) =>
  ({ type: 'string', minLength: 1, description, examples: [example] }) as const;

/**
 * `decision_logs` in the config file: shipping recorded decisions to an OPA decision log service
 * (and, optionally, to a JSON-lines file) from the durable audit log, with a persisted cursor.
 */
export const decisionLogsConfigSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'Ship every recorded decision, in order, to a decision log service (OPA API) and/or a file.',
  examples: [{ service: { url: 'https://collector.corp' } }],
  properties: {
    service: {
      type: 'object',
      additionalProperties: false,
      required: ['url'],
      description: "A service that speaks OPA's decision log API: gzip JSON arrays POSTed to url + resource.",
      examples: [{ url: 'https://collector.corp', resource: '/logs' }],
      properties: {
        url: {
          type: 'string',
          pattern: '^https?://',
          description: 'Base URL of the service.',
          examples: ['https://collector.corp'],
        },
        resource: {
          type: 'string',
          pattern: '^/',
          description: 'Path the batches are POSTed to (OPA: decision_logs.resource); default /logs.',
          examples: ['/logs'],
        },
        bearer_token_file: file(
          'File holding a bearer token sent as Authorization; read again for every batch, so a rotated token needs no restart.',
          'collector-token',
        ),
        tls: {
          type: 'object',
          additionalProperties: false,
          description: 'Client certificate and CA for an https url.',
          examples: [{ cert_file: 'client.crt', key_file: 'client.key', ca_file: 'ca.crt' }],
          properties: {
            cert_file: file('Client certificate (PEM).', 'client.crt'),
            key_file: file('Its private key (PEM).', 'client.key'),
            ca_file: file('CA bundle that signed the service certificate (PEM).', 'ca.crt'),
          },
        },
        timeout_seconds: int('One upload may take this long before it is retried.', 30, 1, 600),
      },
    },
    file: {
      type: 'object',
      additionalProperties: false,
      required: ['path'],
      description: 'Also append the same events as JSON lines to a file, for log agents.',
      examples: [{ path: '/var/log/modelgate/decisions.jsonl' }],
      properties: { path: file('The JSON-lines file (appended to, fsynced per batch).', 'decisions.jsonl') },
    },
    cursor_dir: file(
      'Folder of the cursor files (the last delivered seq per sink); default: beside the database.',
      '/var/lib/modelgate',
    ),
    labels: {
      type: 'object',
      additionalProperties: { type: 'string', maxLength: 256 },
      maxProperties: 32,
      description: 'Labels added to every event (OPA: labels), merged over app, id and version.',
      examples: [{ environment: 'prod' }],
    },
    max_events: int('Most events in one batch.', 500, 1, 100000),
    max_bytes: int(
      'Most uncompressed bytes in one batch (one larger event still goes alone).',
      4194304,
      1024,
      64 * 1024 * 1024,
    ),
    max_delay_ms: int('How long a partial batch waits for more events.', 1000, 10, 600000),
    min_retry_delay_ms: int(
      'First retry delay after a failed upload; doubles per failure, with jitter.',
      500,
      1,
      600000,
    ),
    max_retry_delay_ms: int('Longest retry delay.', 60000, 1, 3600000),
    thread_nice: int(
      'Nice value of the shipping thread (Linux): 19 yields the CPU to decisions when both want it, 0 competes.',
      19,
      0,
      19,
    ),
  },
} as const;
