import { useEffect, useState } from 'preact/hooks';
import { api, problem } from './api';
import { html } from './html';

/** The audit chain's status: GET /v1/audit/verify. */
export function ChainPage() {
  const [result, setResult] = useState<Record<string, unknown> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const verify = () => {
    setResult(null);
    void api('/v1/audit/verify').then((reply) => {
      if (reply.status === 200) setResult(reply.body);
      else setError(problem(reply));
    });
  };
  useEffect(verify, []);
  if (error)
    return html`<h2>Audit chain</h2>
      <p class="bad" role="alert">${error}</p>`;
  if (!result)
    return html`<h2>Audit chain</h2>
      <p class="muted" role="status">Verifying…</p>`;
  const bad = result.first_bad as { seq: number; decision_id: string | null } | undefined;
  return html`
    <h2>Audit chain</h2>
    ${
      result.ok
        ? html`<p class="ok" role="status">Intact: ${String(result.records)} records verified.</p>
            <dl class="facts">
              <dt>Head hash</dt>
              <dd class="mono">${String(result.head)}</dd>
              <dt>Anchor</dt>
              <dd>${result.anchor ? 'pruned before ' + JSON.stringify(result.anchor) : 'genesis'}</dd>
            </dl>`
        : html`<p class="bad" role="alert">
            Broken: ${String(result.problem)} at seq ${bad?.seq} — ${String(result.message)}
          </p>`
    }
    <button type="button" onClick=${verify}>Verify again</button>
  `;
}
