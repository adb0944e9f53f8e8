import { useEffect, useState } from 'preact/hooks';
import { api, problem } from './api';
import { html, said, saidList, when } from './html';

/** A stored audit record, as GET /v1/decisions returns it. */
export interface StoredRecord {
  decision_id: string;
  timestamp: string;
  path: string;
  outcome: string;
  status: number;
  subject: string | null;
  model: string | null;
  reasons: string[];
  obligations: Record<string, unknown>[];
  max_tokens: number | null;
  input: {
    payload?: { chars?: number; findings?: Record<string, number> };
    invocation?: { input_tokens?: number };
  } | null;
  result: unknown;
  bundle: { name: string; revision: string } | null;
  seq: number;
  prev_hash: string;
  hash: string;
}

const FIELDS = ['subject', 'model', 'outcome', 'reason', 'from', 'to'] as const;
type Filters = Record<(typeof FIELDS)[number], string>;
const EMPTY: Filters = { subject: '', model: '', outcome: '', reason: '', from: '', to: '' };

/** Returns the query string of the filters; datetime-local values become ISO instants. */
function query(filters: Filters, cursor: string | null): string {
  const params = new URLSearchParams();
  for (const key of FIELDS) {
    const value = filters[key].trim();
    if (!value) continue;
    params.set(key, key === 'from' || key === 'to' ? new Date(value).toISOString() : value);
  }
  if (cursor) params.set('cursor', cursor);
  params.set('limit', '50');
  return params.toString();
}

/** Recent decisions, newest first, with filters and paging. */
export function DecisionsPage() {
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [records, setRecords] = useState<StoredRecord[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = async (more: boolean) => {
    const reply = await api<{ records: StoredRecord[]; next_cursor: string | null }>(
      `/v1/decisions?${query(filters, more ? cursor : null)}`,
    );
    if (reply.status !== 200) {
      setError(problem(reply as never));
      return;
    }
    setError(null);
    setRecords(more ? [...records, ...reply.body.records] : reply.body.records);
    setCursor(reply.body.next_cursor);
  };
  useEffect(() => {
    void load(false);
  }, [filters]);

  const field = (key: keyof Filters, label: string, type = 'text') =>
    html` <div>
      <label for=${`f-${key}`}>${label}</label>
      <input
        id=${`f-${key}`}
        name=${key}
        type=${type}
        value=${draft[key]}
        onInput=${(e: Event) => setDraft({ ...draft, [key]: (e.target as HTMLInputElement).value })}
      />
    </div>`;

  return html`
    <h2>Decisions</h2>
    <form
      class="filters"
      aria-label="Filter decisions"
      onSubmit=${(e: Event) => {
        e.preventDefault();
        setFilters({ ...draft });
      }}
    >
      ${field('subject', 'Subject')} ${field('model', 'Model')}
      <div>
        <label for="f-outcome">Outcome</label>
        <select
          id="f-outcome"
          value=${draft.outcome}
          onChange=${(e: Event) => setDraft({ ...draft, outcome: (e.target as HTMLSelectElement).value })}
        >
          <option value="">any</option>
          <option value="allowed">allowed</option>
          <option value="denied">denied</option>
          <option value="rejected">rejected</option>
        </select>
      </div>
      ${field('reason', 'Reason code')} ${field('from', 'From', 'datetime-local')}
      ${field('to', 'To', 'datetime-local')}
      <button type="submit" class="primary">Apply</button>
      <button
        type="button"
        onClick=${() => {
          setDraft(EMPTY);
          setFilters(EMPTY);
        }}
      >
        Clear
      </button>
    </form>
    ${error && html`<p class="bad" role="alert">Cannot read decisions: ${error}</p>`}
    <table>
      <caption class="muted">
        ${records.length} decision${records.length === 1 ? '' : 's'} shown, newest first
      </caption>
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Subject</th>
          <th scope="col">Model</th>
          <th scope="col">Path</th>
          <th scope="col">Outcome</th>
          <th scope="col">Reasons</th>
        </tr>
      </thead>
      <tbody>
        ${records.map(
          (r) =>
            html`<tr data-decision=${r.decision_id}>
              <td><a href=${`#/decisions/${r.decision_id}`}>${when(r.timestamp)}</a></td>
              <td class="mono">${r.subject === null ? '—' : said(r.subject)}</td>
              <td>${r.model === null ? '—' : said(r.model)}</td>
              <td class="mono">${said(r.path)}</td>
              <td class=${r.outcome === 'allowed' ? 'ok' : 'bad'}>${r.outcome}</td>
              <td>${saidList(r.reasons, ', ')}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${cursor && html`<p><button type="button" onClick=${() => void load(true)}>Load older decisions</button></p>`}
  `;
}

/** One decision: reasons, obligations, findings, policy revision and its place in the chain. */
export function DecisionPage(props: { id: string }) {
  const [record, setRecord] = useState<StoredRecord | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    void api<{ record: StoredRecord }>(`/v1/decisions/${encodeURIComponent(props.id)}`).then((reply) => {
      if (reply.status === 200) setRecord(reply.body.record);
      else setError(problem(reply as never));
    });
  }, [props.id]);
  if (error)
    return html`<h2>Decision</h2>
      <p class="bad" role="alert">${error}</p>`;
  if (!record)
    return html`<h2>Decision</h2>
      <p class="muted">Loading…</p>`;
  const approval = (record.result as { approval?: Record<string, unknown> } | null)?.approval;
  return html`
    <h2>Decision <code>${record.decision_id}</code></h2>
    <dl class="facts">
      <dt>Time</dt>
      <dd>${when(record.timestamp)}</dd>
      <dt>Path</dt>
      <dd class="mono">${said(record.path)}</dd>
      <dt>Outcome</dt>
      <dd class=${record.outcome === 'allowed' ? 'ok' : 'bad'}>${record.outcome} (HTTP ${record.status})</dd>
      <dt>Subject</dt>
      <dd class="mono">${record.subject === null ? '—' : said(record.subject)}</dd>
      <dt>Model</dt>
      <dd>${record.model === null ? '—' : said(record.model)}</dd>
      <dt>Reasons</dt>
      <dd>${record.reasons.length === 0 ? 'none' : saidList(record.reasons, ', ')}</dd>
      <dt>Max tokens</dt>
      <dd>${record.max_tokens ?? '—'}</dd>
      <dt>Findings</dt>
      <dd>
        ${
          Object.entries(record.input?.payload?.findings ?? {})
            .map(([c, n]) => `${c}: ${n}`)
            .join(', ') || 'none'
        }
      </dd>
      <dt>Policy</dt>
      <dd>
        ${record.bundle ? html`${said(record.bundle.name)} @ ${said(record.bundle.revision)}` : 'none ran'}
      </dd>
      <dt>Chain position</dt>
      <dd>seq ${record.seq}</dd>
      <dt>Hash</dt>
      <dd class="mono">${record.hash}</dd>
      <dt>Previous hash</dt>
      <dd class="mono">${record.prev_hash}</dd>
    </dl>
    <h3>Obligations</h3>
    ${
      record.obligations.length === 0
        ? html`<p class="muted">none</p>`
        : html`<ul>
            ${record.obligations.map((o) => html`<li><code>${said(o)}</code></li>`)}
          </ul>`
    }
    ${
      approval &&
      html`<h3>Approval event</h3>
        <pre class="mono">${said(JSON.stringify(approval, null, 2))}</pre>`
    }
    <p><a href="#/decisions">Back to decisions</a></p>
  `;
}
