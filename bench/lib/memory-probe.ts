/**
 * Preloaded into the modelgate process by the soak (`node --expose-gc --require memory-probe.js main.js serve`):
 * every few seconds it sends the process's memory, and the size of every live WebAssembly memory (the
 * policy's linear memory), to the parent over IPC. With --expose-gc it collects garbage first, so
 * heapUsed is the live heap, not whatever garbage the collector has not reached yet.
 * Nothing in src/ knows about it.
 */
import { Worker } from 'node:worker_threads';

/** One sample, as the soak receives it. */
export interface MemorySample {
  kind: 'memory';
  atMs: number;
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** Bytes of all live WebAssembly.Memory objects. */
  wasm: number;
  /** Whether a full GC ran just before (heapUsed is then the live heap). */
  afterGc: boolean;
  /**
   * The writer thread's heap: the smallest it reported since the previous sample (the probe cannot
   * collect that thread's garbage, so the minimum stands in for its live heap). Null before any reply.
   */
  writerHeap: number | null;
}

const PERIOD_MS = Number(process.env.MEMORY_PROBE_PERIOD_MS ?? 5000);

// The WebAssembly types live in lib.dom, which this project does not load: the little we use, typed here.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
type WasmMemoryClass = new (descriptor: object) => WasmMemory;
const wasm = (globalThis as unknown as { WebAssembly: { Memory: WasmMemoryClass } }).WebAssembly;

const memories: WeakRef<WasmMemory>[] = [];
const Original = wasm.Memory;

// opa-wasm creates the policy's memory with `new WebAssembly.Memory(...)`: remember each one.
class TrackedMemory extends Original {
  constructor(descriptor: object) {
    super(descriptor);
    memories.push(new WeakRef(this));
  }
}
wasm.Memory = TrackedMemory;

function wasmBytes(): number {
  let total = 0;
  for (const ref of memories) total += ref.deref()?.buffer.byteLength ?? 0;
  return total;
}

// The writer thread reports its heap with every reply (src/writer/protocol.ts); listen in on them.
interface WorkerReply {
  op?: string;
  heapUsed?: number;
}
let writerHeapMin = Infinity;
const workerPrototype = Worker.prototype as unknown as { emit(event: string, ...args: unknown[]): boolean };
const originalEmit = workerPrototype.emit;
workerPrototype.emit = function (this: Worker, event: string, ...args: unknown[]): boolean {
  const reply = args[0] as WorkerReply | undefined;
  if (event === 'message' && reply?.op === 'done' && typeof reply.heapUsed === 'number') {
    writerHeapMin = Math.min(writerHeapMin, reply.heapUsed);
  }
  return originalEmit.call(this, event, ...args);
};

if (process.send) {
  // The IPC channel must not keep modelgate alive after SIGTERM: it exits when its server closes.
  process.channel?.unref();
  const gc = (globalThis as { gc?: () => void }).gc;
  setInterval(() => {
    gc?.();
    const usage = process.memoryUsage();
    const sample: MemorySample = {
      kind: 'memory',
      atMs: Date.now(),
      rss: usage.rss,
      heapUsed: usage.heapUsed,
      external: usage.external,
      arrayBuffers: usage.arrayBuffers,
      wasm: wasmBytes(),
      afterGc: gc !== undefined,
      writerHeap: Number.isFinite(writerHeapMin) ? writerHeapMin : null,
    };
    writerHeapMin = Infinity;
    process.send?.(sample);
  }, PERIOD_MS).unref();
}
