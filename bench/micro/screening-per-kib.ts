import { screenPayload, redactPayload } from '../../src/screening';
import { timeSync } from '../lib/timing';
import { benchPayload } from '../lib/workload';

/** Screening cost on the benchmark payload and on a 16× larger one of the same text. */
export interface ScreeningRow {
  label: string;
  chars: number;
  findings: Record<string, number>;
  screenUs: number;
  usPerKiB: number;
  redactUs: number;
}

/** Measures screenPayload (and the redaction of the classes found) per KiB of text. */
export function screeningPerKiB(measureMs: number): ScreeningRow[] {
  const small = benchPayload();
  const large = { messages: Array.from({ length: 16 }, () => small.messages).flat() };
  return [
    ['bench payload (2 KiB)', small],
    ['bench payload ×16 (32 KiB)', large],
  ].map(([label, payload]) => {
    const result = screenPayload(payload);
    const classes = Object.keys(result.findings);
    const screenUs = timeSync(() => screenPayload(payload), measureMs).us;
    return {
      label: label as string,
      chars: result.chars,
      findings: result.findings,
      screenUs,
      usPerKiB: screenUs / (result.chars / 1024),
      redactUs: timeSync(() => redactPayload(payload, result, classes, '[REDACTED:<class>]'), measureMs).us,
    };
  });
}
