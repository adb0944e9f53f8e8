import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { api, problem, type Reply } from './api';
import type { StoredRecord } from './decisions-page';
import { html, said, visible } from './html';
import { promptTokens } from '../../usage/prompt-tokens';

const HOUR = 3600;
const PALETTE = ['#0b5cad', '#b42318', '#1a7f37', '#8250df', '#bf8700', '#0969da', '#cf222e', '#57606a'];

/** Returns up to `pages` pages of records for one filter, newest first. */
async function records(filter: string, pages: number): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < pages; i++) {
    const reply: Reply<{ records: StoredRecord[]; next_cursor: string | null }> = await api(
      `/v1/decisions?${filter}&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    if (reply.status !== 200) throw new Error(problem(reply as never));
    out.push(...reply.body.records);
    cursor = reply.body.next_cursor;
    if (!cursor) break;
  }
  return out;
}

/** One uPlot chart, rebuilt when its data changes. */
function Chart(props: {
  title: string;
  options: Omit<uPlot.Options, 'width' | 'height' | 'title'>;
  data: uPlot.AlignedData;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!ref.current) return;
    const plot = new uPlot(
      { ...props.options, title: props.title, width: 720, height: 280 },
      props.data,
      ref.current,
    );
    return () => plot.destroy();
  }, [props.data]);
  return html`<div class="chart" ref=${ref} role="img" aria-label=${props.title}></div>`;
}

/** Denials by reason and tokens per subject over the last day, with the same figures as tables. */
export function ChartsPage() {
  const [denials, setDenials] = useState<[string, number][] | null>(null);
  const [tokens, setTokens] = useState<{ hours: number[]; subjects: string[]; series: number[][] } | null>(
    null,
  );
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const from = new Date(Date.now() - 24 * HOUR * 1000).toISOString();
    Promise.all([
      records(`outcome=denied&from=${from}`, 2),
      records(`outcome=rejected&from=${from}`, 2),
      records(`outcome=allowed&from=${from}`, 4),
    ]).then(
      ([denied, rejected, allowed]) => {
        const byReason = new Map<string, number>();
        for (const r of [...denied, ...rejected])
          for (const code of r.reasons) byReason.set(code, (byReason.get(code) ?? 0) + 1);
        setDenials([...byReason.entries()].sort((a, b) => b[1] - a[1]));
        setTokens(
          tokensPerSubject(
            allowed.filter(
              (r) => r.path === '/v1/decide' || r.path === '/' || r.path.startsWith('/v1/data/'),
            ),
          ),
        );
      },
      (err: Error) => setError(err.message),
    );
  }, []);

  if (error)
    return html`<h2>Charts</h2>
      <p class="bad" role="alert">Cannot read decisions: ${error}</p>`;
  if (!denials || !tokens)
    return html`<h2>Charts</h2>
      <p class="muted">Loading…</p>`;
  const bars = uPlot.paths.bars?.({ size: [0.6, 60] });
  return html`
    <h2>Charts (last 24 hours)</h2>
    <h3>Denials by reason</h3>
    ${
      denials.length === 0
        ? html`<p class="muted">No denials.</p>`
        : html`<${Chart}
            title="Denied and rejected decisions by reason code"
            data=${[denials.map((_, i) => i), denials.map(([, n]) => n)]}
            options=${{
              scales: { x: { time: false, range: [-0.5, denials.length - 0.5] } },
              axes: [
                {
                  values: (_u: uPlot, ticks: number[]) => ticks.map((t) => denials[t]?.[0] ?? ''),
                  incrs: [1],
                },
                {},
              ],
              series: [
                {},
                {
                  label: 'decisions',
                  fill: '#b4231855',
                  stroke: '#b42318',
                  paths: bars,
                  points: { show: false },
                },
              ],
              legend: { show: false },
            }}
          />`
    }
    <table>
      <caption class="muted">
        Denials by reason
      </caption>
      <thead>
        <tr>
          <th scope="col">Reason</th>
          <th scope="col">Decisions</th>
        </tr>
      </thead>
      <tbody>
        ${denials.map(
          ([code, n]) =>
            html`<tr>
              <td>${said(code)}</td>
              <td>${n}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <h3>Tokens per subject</h3>
    <p class="muted">
      Tokens reserved by allowed model decisions (effective max_tokens plus declared input tokens), per hour.
    </p>
    ${
      tokens.subjects.length === 0
        ? html`<p class="muted">No allowed decisions.</p>`
        : html`<${Chart}
            title="Reserved tokens per subject per hour"
            data=${[tokens.hours, ...tokens.series]}
            options=${{
              series: [
                {},
                ...tokens.subjects.map((s, i) => ({
                  label: visible(s),
                  stroke: PALETTE[i % PALETTE.length],
                  width: 2,
                })),
              ],
              axes: [{}, { size: 70 }],
            }}
          />`
    }
    <table>
      <caption class="muted">
        Tokens per subject, last 24 hours
      </caption>
      <thead>
        <tr>
          <th scope="col">Subject</th>
          <th scope="col">Tokens</th>
        </tr>
      </thead>
      <tbody>
        ${tokens.subjects.map(
          (s, i) =>
            html`<tr>
              <td class="mono">${said(s)}</td>
              <td>${tokens.series[i]!.reduce((a, b) => a + b, 0)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  `;
}

// Hourly buckets over the last day; one series per subject.
function tokensPerSubject(allowed: StoredRecord[]) {
  const start = Math.floor(Date.now() / 1000 / HOUR) * HOUR - 23 * HOUR;
  const hours = Array.from({ length: 24 }, (_, i) => start + i * HOUR);
  const bySubject = new Map<string, number[]>();
  for (const r of allowed) {
    if (!r.subject) continue;
    const bucket = Math.floor((Date.parse(r.timestamp) / 1000 - start) / HOUR);
    if (bucket < 0 || bucket > 23) continue;
    const series = bySubject.get(r.subject) ?? hours.map(() => 0);
    series[bucket]! +=
      (r.max_tokens ?? 0) + promptTokens(r.input?.invocation?.input_tokens, r.input?.payload?.chars);
    bySubject.set(r.subject, series);
  }
  const subjects = [...bySubject.keys()].sort();
  return { hours, subjects, series: subjects.map((s) => bySubject.get(s)!) };
}
