import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { csvField } from '../../src/audit/export-formats';
import type { AuditRecordV1 } from '../../src/audit';
import { makeRecord, openStore, tempDir } from './audit-fixtures';

const dir = tempDir();
const store = openStore(join(dir, 'export.db'));
const base = Date.parse('2026-11-01T00:00:00.000Z');
const at = (minute: number) => new Date(base + minute * 60_000).toISOString();
let records: AuditRecordV1[];

beforeAll(async () => {
  records = Array.from({ length: 30 }, (_, i) =>
    makeRecord({
      timestamp: at(i),
      reasons: i % 2 ? ['budget_low'] : [],
      // Values that need CSV quoting: commas, quotes, newlines, non-ASCII.
      purpose: i === 3 ? 'reply, then "escalate"\r\nto a human — ö' : 'support-reply',
      bundle: i === 4 ? null : { name: 'modelgate', revision: `r${i}` },
      client_address: i === 5 ? null : '10.0.0.7',
    }),
  );
  await Promise.all(records.map((r) => store.append(r)));
});

// Collects what an export writes.
function sink(): { out: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk);
      done();
    },
  });
  return { out, text: () => Buffer.concat(chunks).toString('utf8') };
}

// A small RFC 4180 reader, to prove the CSV round-trips.
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}

describe('exportRecords', () => {
  it('writes JSONL with OPA decision-log field names that round-trip every record, oldest first', async () => {
    const { out, text } = sink();
    const result = await store.exportRecords({ format: 'jsonl', labels: { instance: 'test' } }, out);
    expect(result).toEqual({ records: 30 });
    const lines = text()
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(30);
    lines.forEach((event, i) => {
      const record = records[i]!;
      expect(event).toMatchObject({
        decision_id: record.decision_id,
        path: record.path,
        input: record.input,
        result: record.result,
        timestamp: record.timestamp,
        labels: { app: 'modelgate', instance: 'test' },
        bundles: record.bundle ? { modelgate: { revision: record.bundle.revision } } : {},
        requested_by: record.client_address ?? '',
        metrics: { timer_server_handler_ns: 2_500_000 },
        outcome: record.outcome,
        subject: record.subject,
        purpose: record.purpose,
        reasons: record.reasons,
        obligations: record.obligations,
        seq: expect.any(Number),
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
    });
  });

  it('writes RFC 4180 CSV with a header whose rows parse back to the records', async () => {
    const { out, text } = sink();
    await store.exportRecords({ format: 'csv' }, out);
    expect(text().endsWith('\r\n')).toBe(true);
    const [header, ...rows] = parseCsv(text());
    expect(rows).toHaveLength(30);
    const column = (row: string[], name: string) => row[header!.indexOf(name)]!;
    rows.forEach((row, i) => {
      const record = records[i]!;
      expect(row).toHaveLength(header!.length);
      expect(column(row, 'decision_id')).toBe(record.decision_id);
      expect(column(row, 'purpose')).toBe(record.purpose);
      expect(JSON.parse(column(row, 'reasons'))).toEqual(record.reasons);
      expect(JSON.parse(column(row, 'input'))).toEqual(record.input);
      expect(column(row, 'bundle_revision')).toBe(record.bundle?.revision ?? '');
      expect(column(row, 'client_address')).toBe(record.client_address ?? '');
    });
  });

  it('quotes exactly the fields RFC 4180 requires', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(null)).toBe('');
    expect(csvField('=1+1')).toBe('=1+1');
  });

  it('exports only [from, to)', async () => {
    const { out, text } = sink();
    expect(await store.exportRecords({ format: 'jsonl', from: at(10), to: at(15) }, out)).toEqual({
      records: 5,
    });
    const times = text()
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { timestamp: string }).timestamp);
    expect(times).toEqual([at(10), at(11), at(12), at(13), at(14)]);
  });

  it('waits for drain when the output pushes back, and appends go on meanwhile', async () => {
    // A tiny buffer nobody reads yet: the export must stop and wait rather than buffer everything.
    const out = new PassThrough({ highWaterMark: 64 });
    const chunks: Buffer[] = [];
    const progress: number[] = [];
    const exporting = store.exportRecords({ format: 'jsonl' }, out, (p) => progress.push(p.records));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(out.writableNeedDrain).toBe(true);
    // The writer connection is free while the export waits.
    await store.append(makeRecord({ timestamp: at(100) }));
    out.on('data', (chunk: Buffer) => chunks.push(chunk));
    const result = await exporting;
    // The export reads one snapshot: the record appended meanwhile is not in it.
    expect(result.records).toBe(30);
    expect(progress.at(-1)).toBe(30);
    expect(Buffer.concat(chunks).toString().trimEnd().split('\n')).toHaveLength(30);
  });

  it('rejects when the output fails instead of hanging', async () => {
    const out = new Writable({
      highWaterMark: 16,
      write(_chunk, _enc, done) {
        setTimeout(() => done(new Error('EPIPE')), 5);
      },
    });
    out.on('error', () => undefined);
    await expect(store.exportRecords({ format: 'jsonl' }, out)).rejects.toThrow(/export aborted/);
  });
});
