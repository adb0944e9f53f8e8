import { Counter, Histogram, Registry } from 'prom-client';
import { LabelledCounter, LabelledHistogram } from '../../src/metrics/bound-metrics';

// The per-decision metrics replaced prom-client's own classes: the exposition text must not change.
describe('LabelledCounter and LabelledHistogram', () => {
  const BOUNDS = [0.001, 0.01, 0.1, 1];
  const SETS = [
    { endpoint: '/v1/decide', outcome: 'allowed' },
    { endpoint: '/v1/data', outcome: 'denied "x" \\ y\nz' }, // label values that need escaping
  ];

  it('write the same exposition text as prom-client for the same observations', async () => {
    const theirs = new Registry();
    const ours = new Registry();
    const counter = new Counter({
      name: 'c_total',
      help: 'h',
      labelNames: ['endpoint', 'outcome'],
      registers: [theirs],
    });
    const histogram = new Histogram({
      name: 'h_seconds',
      help: 'h "quoted"',
      labelNames: ['endpoint', 'outcome'],
      buckets: BOUNDS,
      registers: [theirs],
    });
    const boundCounter = new LabelledCounter('c_total', 'h', ['endpoint', 'outcome'], ours);
    const boundHistogram = new LabelledHistogram(
      'h_seconds',
      'h "quoted"',
      ['endpoint', 'outcome'],
      BOUNDS,
      ours,
    );
    // A set that is bound but never used appears in neither.
    boundCounter.labels('unused', 'x');
    boundHistogram.labels('unused', 'x');
    const values = [0, 0.0005, 0.001, 0.005, 0.01, 0.5, 1, 2.5, 1e-9, 0.1];
    values.forEach((value, i) => {
      const labels = SETS[i % SETS.length]!;
      counter.labels(labels).inc(i);
      histogram.labels(labels).observe(value);
      boundCounter.labels(labels.endpoint, labels.outcome).inc(i);
      boundHistogram.labels(labels.endpoint, labels.outcome).observe(value);
    });
    const text = await theirs.metrics();
    expect(text).toContain('le="+Inf"'); // precondition: both kinds were written
    expect(text).toContain('c_total{');
    expect(await ours.metrics()).toBe(text);
  });
});
