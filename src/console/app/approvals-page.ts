import { useEffect, useState } from 'preact/hooks';
import { api, problem } from './api';
import { contextList, findingsText, html, said, saidList, visible, when } from './html';

/** An approval as GET /v1/approvals returns it. */
interface Summary {
  id: string;
  status: string;
  created_at: string;
  expires_at: string;
  request_decision_id: string;
  requester: { subject: string; issuer: string; actor: string | null; prior_actors?: string[] };
  invocation: { model: string; provider?: string; operation: string; purpose?: string; tools: string[] };
  context?: unknown;
  findings: Record<string, number>;
  reasons: string[];
  approvers: string | null;
  max_uses: number;
  decided_by: string | null;
  comment: string | null;
  can_decide: boolean;
}

/** The pending approvals, each with approve and deny for those allowed to decide it. */
export function ApprovalsPage() {
  const [items, setItems] = useState<Summary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState('');
  const [filter, setFilter] = useState('pending');
  const [deciding, setDeciding] = useState(false);
  const [cursor, setCursor] = useState<string | null>(null);

  // A page holds the 50 newest; older ones come a page at a time, after those already shown.
  const load = async (more: boolean) => {
    const after = more && cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const reply = await api<{ approvals: Summary[]; next_cursor: string | null }>(
      `/v1/approvals?status=${filter}${after}`,
    );
    if (reply.status === 200) {
      setItems((shown) => (more ? [...(shown ?? []), ...reply.body.approvals] : reply.body.approvals));
      setCursor(reply.body.next_cursor);
      setError(null);
    } else {
      setItems(null);
      setCursor(null);
      setError(problem(reply as never));
    }
  };
  useEffect(() => {
    void load(false);
  }, [filter]);

  // The decided card stays where it is, showing its new status: reloading the list would move the next
  // request's buttons under the pointer, and the second click of a double-click would decide that one.
  const decide = async (item: Summary, action: 'approve' | 'deny', comment: string) => {
    setDeciding(true);
    try {
      const reply = await api<{ approval?: Summary }>(
        `/v1/approvals/${item.id}/${action}`,
        comment ? { comment } : {},
      );
      // A refusal (decided by someone else meanwhile, say) shows the request as it now stands.
      const fresh =
        reply.status === 200
          ? reply.body.approval
          : (await api<{ approval?: Summary }>(`/v1/approvals/${item.id}`)).body.approval;
      if (fresh) setItems((shown) => shown?.map((i) => (i.id === fresh.id ? fresh : i)) ?? null);
      setStatus(
        reply.status === 200
          ? `${action === 'approve' ? 'Approved' : 'Denied'} the request of ${visible(item.requester.subject)}.`
          : `Could not ${action}: ${problem(reply as never)}`,
      );
    } finally {
      setDeciding(false);
    }
  };

  return html`
    <h2>Approvals</h2>
    <div class="filters">
      <div>
        <label for="approval-status">Show</label>
        <select
          id="approval-status"
          value=${filter}
          onChange=${(e: Event) => setFilter((e.target as HTMLSelectElement).value)}
        >
          <option value="pending">pending</option>
          <option value="approved">approved</option>
          <option value="denied">denied</option>
          <option value="used_up">used up</option>
          <option value="expired">expired</option>
          <option value="all">all</option>
        </select>
      </div>
      <button type="button" onClick=${() => void load(false)}>Refresh</button>
    </div>
    <p class="status" role="status" aria-live="polite">${status}</p>
    ${error && html`<p class="bad" role="alert">Cannot list approvals: ${error}</p>`}
    ${items && items.length === 0 && html`<p class="muted">No ${filter === 'all' ? '' : filter} approvals.</p>`}
    ${items?.map(
      (item) => html`<${ApprovalCard} key=${item.id} item=${item} busy=${deciding} onDecide=${decide} />`,
    )}
    ${cursor && html`<p><button type="button" onClick=${() => void load(true)}>Load older approvals</button></p>`}
  `;
}

function ApprovalCard(props: {
  item: Summary;
  /** A verdict is on its way: no second one until it is back. */
  busy: boolean;
  onDecide: (item: Summary, action: 'approve' | 'deny', comment: string) => void;
}) {
  const { item } = props;
  const [comment, setComment] = useState('');
  const commentId = `comment-${item.id}`;
  return html`
    <section class="card" aria-labelledby=${`title-${item.id}`} data-approval=${item.id}>
      <h3 id=${`title-${item.id}`}>
        ${said(item.invocation.model)} · ${item.invocation.operation} for ${said(item.requester.subject)}
      </h3>
      <dl>
        <dt>Status</dt>
        <dd>${item.status}${item.decided_by && html` by ${said(item.decided_by)}`}</dd>
        <dt>Why</dt>
        <dd>${item.reasons.length === 0 ? '—' : saidList(item.reasons, '; ')}</dd>
        <dt>Requester</dt>
        <dd>
          ${said(item.requester.subject)}${item.requester.actor && html` (acting: ${said(item.requester.actor)})`}
          ${item.requester.prior_actors && html` after ${saidList(item.requester.prior_actors, ', ')}`}
        </dd>
        <dt>Tools</dt>
        <dd>${item.invocation.tools.length === 0 ? 'none' : saidList(item.invocation.tools, ', ')}</dd>
        <dt>Purpose</dt>
        <dd>${item.invocation.purpose === undefined ? '—' : said(item.invocation.purpose)}</dd>
        <dt>Context</dt>
        <dd data-field="context">${contextList(item.context)}</dd>
        <dt>Findings</dt>
        <dd>${findingsText(item.findings)}</dd>
        <dt>Approvers</dt>
        <dd>${item.approvers === null ? 'any approver' : said(item.approvers)}</dd>
        <dt>Asked</dt>
        <dd>${when(item.created_at)}</dd>
        <dt>Expires</dt>
        <dd>${when(item.expires_at)}</dd>
        <dt>Uses</dt>
        <dd>${item.max_uses}</dd>
        <dt>Decision</dt>
        <dd><a href=${`#/decisions/${item.request_decision_id}`}>${item.request_decision_id}</a></dd>
        ${
          item.comment &&
          html`<dt>Comment</dt>
            <dd>${said(item.comment)}</dd>`
        }
      </dl>
      ${
        item.can_decide
          ? html` <label for=${commentId}>Comment (recorded in the audit log)</label>
              <textarea
                id=${commentId}
                rows="2"
                maxlength="1024"
                value=${comment}
                onInput=${(e: Event) => setComment((e.target as HTMLTextAreaElement).value)}
              ></textarea>
              <div class="actions">
                <button
                  type="button"
                  class="primary"
                  disabled=${props.busy}
                  onClick=${() => props.onDecide(item, 'approve', comment)}
                >
                  Approve
                </button>
                <button
                  type="button"
                  class="danger"
                  disabled=${props.busy}
                  onClick=${() => props.onDecide(item, 'deny', comment)}
                >
                  Deny
                </button>
              </div>`
          : item.status === 'pending' && html`<p class="muted">You may not decide this request.</p>`
      }
    </section>
  `;
}
