/**
 * A `worker_threads` pool for the wasm kernels (Node only; imported by src/node.ts, never by the
 * portable entry point). Each worker instantiates the gemm module and the other shared kernel modules
 * (src/wasm/parallel.ts) over the same shared WebAssembly.Memory objects as the calling thread, then
 * sleeps in `Atomics.wait` on a small control block. A job (a product, or a row or element range of
 * another kernel) is cut into chunks; the calling thread publishes it, wakes the workers with
 * `Atomics.notify`, and then every thread, the caller included, claims chunks from one atomic counter
 * until none are left. The caller blocks until all claimed chunks are finished, so kernels stay
 * synchronous.
 *
 * Claiming instead of a fixed split matters on a machine with as many threads as cores: when the
 * engine's GC threads or the OS take a worker's core for a few milliseconds, the caller simply takes
 * the chunks the worker has not reached instead of waiting for it.
 */
import { Worker } from "node:worker_threads";
import { FAMILY_EXPORTS, MAX_CALL_ARGS, MAX_CALL_THREADS, SCRATCH_BYTES, type SharedKernels } from "./parallel.js";
import { JOB_CALL, type KernelPool, MAX_JOB_PRODUCTS, type PoolJob, PRODUCT_FIELDS, type WasmGemm } from "./runtime.js";

// Control block layout (Int32Array over a SharedArrayBuffer).
const GEN = 0; // bumped once per job; workers wait on it
const CLAIM = 1; // (generation & 0xffff) << 16 | chunks not yet claimed
const FINISHED = 2; // chunks finished in the current job
const ERR = 3; // set when a chunk threw
const COUNT = 4; // chunks in the current job
const BY_WORKERS = 5; // chunks the workers have run since the pool started (for tests and diagnostics)
const JOB = 8; // the PoolJob fields (see runtime.ts), shared by all threads
const JOB_FIELDS = Math.max(6 + 3 * MAX_CALL_ARGS, 2 + PRODUCT_FIELDS * MAX_JOB_PRODUCTS);
const HEADER = JOB + JOB_FIELDS;
// Per worker: [0] ready flag.
const SLOT = 1;

/** Polls of the control block before a worker (or the joining caller) sleeps: about 20–50 µs. */
const SPIN = 20000;

/** Polls after a wake-up without a job (about 1 ms): long enough to cover staging a large product. */
const WAKE_SPIN = 200000;

/** How long the first large product waits for freshly spawned workers to come up. */
const STARTUP_TIMEOUT_MS = 5000;

/**
 * The code each worker runs (plain JS, so it loads the same way under tsx, vitest and the built
 * package). `runGemm` mirrors WasmGemm.runChunk in runtime.ts and `runCall` splitCall's chunks in
 * parallel.ts; thread t uses workspace t and the row kernels' scratch t.
 */
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { gemmModule, gemmMemory, families, control, slot } = workerData;
const ctl = new Int32Array(control);
const thread = slot + 1;
const gemm = new WebAssembly.Instance(gemmModule, { env: { memory: gemmMemory } }).exports.gemm;
const calls = families.map(({ module, memory, fns }) => {
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  if (exports.set_scratch) exports.set_scratch(thread * ${SCRATCH_BYTES});
  return fns.map((name) => exports[name]);
});
function runGemm(j, chunk) {
  let o = 2;
  for (let p = 0; p < j[1] && chunk >= j[o + ${PRODUCT_FIELDS - 1}]; p++) {
    chunk -= j[o + ${PRODUCT_FIELDS - 1}];
    o += ${PRODUCT_FIELDS};
  }
  const es = j[o], M = j[o + 1], N = j[o + 2], K = j[o + 3], ars = j[o + 5], acs = j[o + 6], brs = j[o + 8];
  const bcs = j[o + 9], ldc = j[o + 11], table = j[o + 12], unit = j[o + 13], total = j[o + 14];
  const ws = j[o + 17] + thread * j[o + 18], packA = ws + j[o + 15], packB = ws + j[o + 16];
  const from = chunk * unit, to = Math.min(total, from + unit);
  if (table === 0) {
    gemm(es, to - from, N, K, j[o + 4] + from * ars * es, ars, acs, j[o + 7], brs, bcs, j[o + 10] + from * ldc * es,
      ldc, packA, packB, ws);
  } else {
    const t = new Int32Array(gemmMemory.buffer, table, 3 * total);
    for (let b = from; b < to; b++) {
      gemm(es, M, N, K, t[3 * b], ars, acs, t[3 * b + 1], brs, bcs, t[3 * b + 2], ldc, packA, packB, ws);
    }
  }
}
function runCall(j, chunk) {
  const unit = j[3], total = j[4], from = chunk * unit, to = Math.min(total, from + unit);
  const args = [];
  for (let i = 0; i < j[5]; i++) {
    const kind = j[6 + 3 * i], a = j[7 + 3 * i], b = j[8 + 3 * i];
    args.push(kind === 0 ? a : kind === 1 ? a + from * b : to - from);
  }
  calls[j[1]][j[2]](...args);
}
let seen = Atomics.load(ctl, ${GEN});
Atomics.store(ctl, ${HEADER} + slot * ${SLOT}, 1);
Atomics.notify(ctl, ${HEADER} + slot * ${SLOT});
let spin = ${SPIN};
for (;;) {
  // Spin briefly before sleeping: a training step issues jobs back to back, and waking from a futex
  // costs tens of microseconds each time.
  for (let i = 0; i < spin && Atomics.load(ctl, ${GEN}) === seen; i++);
  Atomics.wait(ctl, ${GEN}, seen);
  seen = Atomics.load(ctl, ${GEN});
  const gen = seen & 0xffff;
  // The job is read before claiming; a claim that succeeds proves it was this job's (the caller
  // rewrites it only after every chunk of it is finished).
  const job = ctl.slice(${JOB}, ${HEADER});
  const chunks = ctl[${COUNT}];
  const run = job[0] === ${JOB_CALL} ? runCall : runGemm;
  // Threads past the row kernels' scratch area leave split calls to the others.
  const skip = job[0] === ${JOB_CALL} && thread >= ${MAX_CALL_THREADS};
  let claimed = false;
  while (!skip) {
    const c = Atomics.load(ctl, ${CLAIM});
    if (c >>> 16 !== gen || (c & 0xffff) === 0) break;
    if (Atomics.compareExchange(ctl, ${CLAIM}, c, c - 1) !== c) continue;
    claimed = true;
    try {
      run(job, chunks - (c & 0xffff));
    } catch {
      Atomics.store(ctl, ${ERR}, 1);
    }
    Atomics.add(ctl, ${BY_WORKERS}, 1);
    Atomics.add(ctl, ${FINISHED}, 1);
    Atomics.notify(ctl, ${FINISHED});
  }
  // Woken ahead of a job (see wake()) or too late for this one: stay awake for the next.
  spin = claimed ? ${SPIN} : ${WAKE_SPIN};
}
`;

export class WorkerKernelPool implements KernelPool {
  private readonly ctl: Int32Array;
  private workers: Worker[] = [];
  private generation = 0;

  constructor(
    private readonly gemm: WasmGemm,
    readonly size: number,
    private readonly families: readonly SharedKernels[] = [],
  ) {
    this.ctl = new Int32Array(new SharedArrayBuffer(4 * (HEADER + SLOT * Math.max(1, size))));
  }

  /** Spawns the workers (once) and waits, bounded, until they are ready. */
  private start(): void {
    if (this.workers.length > 0 || this.size === 0) return;
    for (let slot = 0; slot < this.size; slot++) {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: {
          gemmModule: this.gemm.module,
          gemmMemory: this.gemm.memory,
          families: this.families.map((f, i) => ({ module: f.module, memory: f.memory, fns: FAMILY_EXPORTS[i] })),
          control: this.ctl.buffer,
          slot,
        },
      });
      worker.unref(); // idle workers never keep the process alive
      this.workers.push(worker);
    }
    // Workers boot on their own threads, so blocking here is fine (~20 ms each, in parallel).
    const deadline = performance.now() + STARTUP_TIMEOUT_MS;
    for (let slot = 0; slot < this.size; slot++) {
      const at = HEADER + slot * SLOT;
      while (Atomics.load(this.ctl, at) === 0) {
        const left = deadline - performance.now();
        if (left <= 0) return; // a worker that never came up just gets no jobs
        Atomics.wait(this.ctl, at, 0, left);
      }
    }
  }

  available(): number {
    this.start();
    let n = 0;
    for (let slot = 0; slot < this.size; slot++) if (Atomics.load(this.ctl, HEADER + slot * SLOT)) n++;
    return n;
  }

  run(job: PoolJob, chunks: number, runChunk: (chunk: number) => void): void {
    if (!(chunks >= 1 && chunks <= 0xffff)) throw new RangeError(`pool: ${chunks} chunks is out of range`);
    if (job.length > JOB_FIELDS) throw new RangeError(`pool: a job of ${job.length} fields is too long`);
    const ctl = this.ctl;
    for (let i = 0; i < job.length; i++) ctl[JOB + i] = job[i] as number;
    ctl[COUNT] = chunks;
    Atomics.store(ctl, FINISHED, 0);
    Atomics.store(ctl, ERR, 0);
    this.generation = (this.generation + 1) & 0xffff;
    const gen = this.generation;
    // Publishing the claim counter releases the job fields written above.
    Atomics.store(ctl, CLAIM, (gen << 16) | chunks);
    Atomics.store(ctl, GEN, gen);
    Atomics.notify(ctl, GEN);
    let failure: unknown = null;
    for (;;) {
      const c = Atomics.load(ctl, CLAIM);
      if ((c & 0xffff) === 0) break;
      if (Atomics.compareExchange(ctl, CLAIM, c, c - 1) !== c) continue;
      try {
        runChunk(chunks - (c & 0xffff));
      } catch (e) {
        failure ??= e;
      }
      Atomics.add(ctl, FINISHED, 1);
    }
    // Every chunk is claimed; wait for the ones the workers are still computing.
    for (let i = 0; i < SPIN && Atomics.load(ctl, FINISHED) < chunks; i++);
    for (;;) {
      const done = Atomics.load(ctl, FINISHED);
      if (done >= chunks) break;
      Atomics.wait(ctl, FINISHED, done);
    }
    if (failure) throw failure;
    if (Atomics.load(ctl, ERR)) throw new Error("pool: a worker thread failed while computing its chunk");
  }

  /** How many chunks the workers (not the caller) have run since the pool started. */
  chunksByWorkers(): number {
    return Atomics.load(this.ctl, BY_WORKERS);
  }

  wake(): void {
    if (this.workers.length === 0) return;
    // A generation with nothing to claim: workers wake, find no chunk and keep spinning for the next.
    this.generation = (this.generation + 1) & 0xffff;
    Atomics.store(this.ctl, CLAIM, this.generation << 16);
    Atomics.store(this.ctl, GEN, this.generation);
    Atomics.notify(this.ctl, GEN);
  }

  /** Stops the workers (they are idle: every product is finished before `run` returns). */
  terminate(): void {
    for (const w of this.workers) void w.terminate();
    this.workers = [];
  }
}
