/**
 * A `worker_threads` pool for the wasm gemm (Node only; imported by src/node.ts, never by the
 * portable entry point). Each worker instantiates the same compiled module over the same shared
 * WebAssembly.Memory and then sleeps in `Atomics.wait` on a small control block. A product is cut
 * into chunks (row blocks, or runs of batch entries); the calling thread publishes it, wakes the
 * workers with `Atomics.notify`, and then every thread, the caller included, claims chunks from one
 * atomic counter until none are left. The caller blocks until all claimed chunks are finished, so
 * `matmul` stays synchronous.
 *
 * Claiming instead of a fixed split matters on a machine with as many threads as cores: when the
 * engine's GC threads or the OS take a worker's core for a few milliseconds, the caller simply takes
 * the chunks the worker has not reached instead of waiting for it.
 */
import { Worker } from "node:worker_threads";
import type { GemmJob, GemmPool, WasmGemm } from "./runtime.js";

// Control block layout (Int32Array over a SharedArrayBuffer).
const GEN = 0; // bumped once per dispatch; workers wait on it
const CLAIM = 1; // (generation & 0xffff) << 16 | chunks not yet claimed
const FINISHED = 2; // chunks finished in the current dispatch
const ERR = 3; // set when a chunk threw
const JOB = 8; // the GemmJob fields (see runtime.ts), shared by all threads
const HEADER = JOB + 24;
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
 * package). `runChunk` mirrors WasmGemm.runChunk in runtime.ts; thread t uses workspace t.
 */
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { module, memory, control, slot } = workerData;
const ctl = new Int32Array(control);
const gemm = new WebAssembly.Instance(module, { env: { memory } }).exports.gemm;
const thread = slot + 1;
function runChunk(j, chunk) {
  const es = j[0], M = j[1], N = j[2], K = j[3], ars = j[5], acs = j[6], brs = j[8], bcs = j[9], ldc = j[11];
  const table = j[12], unit = j[13], total = j[14];
  const ws = j[17] + thread * j[18], packA = ws + j[15], packB = ws + j[16];
  const from = chunk * unit, to = Math.min(total, from + unit);
  if (table === 0) {
    gemm(es, to - from, N, K, j[4] + from * ars * es, ars, acs, j[7], brs, bcs, j[10] + from * ldc * es, ldc,
      packA, packB, ws);
  } else {
    const t = new Int32Array(memory.buffer, table, 3 * total);
    for (let b = from; b < to; b++) {
      gemm(es, M, N, K, t[3 * b], ars, acs, t[3 * b + 1], brs, bcs, t[3 * b + 2], ldc, packA, packB, ws);
    }
  }
}
let seen = Atomics.load(ctl, ${GEN});
Atomics.store(ctl, ${HEADER} + slot * ${SLOT}, 1);
Atomics.notify(ctl, ${HEADER} + slot * ${SLOT});
let spin = ${SPIN};
for (;;) {
  // Spin briefly before sleeping: a training step issues products back to back, and waking from a
  // futex costs tens of microseconds each time.
  for (let i = 0; i < spin && Atomics.load(ctl, ${GEN}) === seen; i++);
  Atomics.wait(ctl, ${GEN}, seen);
  seen = Atomics.load(ctl, ${GEN});
  const gen = seen & 0xffff;
  // The job fields are read before claiming; a claim that succeeds proves they were this dispatch's
  // (the caller rewrites them only after every chunk of it is finished).
  const job = ctl.slice(${JOB}, ${JOB} + 20);
  let claimed = false;
  for (;;) {
    const c = Atomics.load(ctl, ${CLAIM});
    if (c >>> 16 !== gen || (c & 0xffff) === 0) break;
    if (Atomics.compareExchange(ctl, ${CLAIM}, c, c - 1) !== c) continue;
    claimed = true;
    try {
      runChunk(job, job[19] - (c & 0xffff));
    } catch {
      Atomics.store(ctl, ${ERR}, 1);
    }
    Atomics.add(ctl, ${FINISHED}, 1);
    Atomics.notify(ctl, ${FINISHED});
  }
  // Woken ahead of a product (see wake()) or too late for this one: stay awake for the next.
  spin = claimed ? ${SPIN} : ${WAKE_SPIN};
}
`;

export class WorkerGemmPool implements GemmPool {
  private readonly ctl: Int32Array;
  private workers: Worker[] = [];
  private generation = 0;

  constructor(
    private readonly gemm: WasmGemm,
    readonly size: number,
  ) {
    this.ctl = new Int32Array(new SharedArrayBuffer(4 * (HEADER + SLOT * Math.max(1, size))));
  }

  /** Spawns the workers (once) and waits, bounded, until they are ready. */
  private start(): void {
    if (this.workers.length > 0 || this.size === 0) return;
    for (let slot = 0; slot < this.size; slot++) {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { module: this.gemm.module, memory: this.gemm.memory, control: this.ctl.buffer, slot },
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

  run(job: GemmJob, chunks: number, runChunk: (chunk: number) => void): void {
    if (!(chunks >= 1 && chunks <= 0xffff)) throw new RangeError(`matmul: ${chunks} chunks is out of range`);
    const ctl = this.ctl;
    for (let i = 0; i < job.length; i++) ctl[JOB + i] = job[i] as number;
    ctl[JOB + 19] = chunks;
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
    if (Atomics.load(ctl, ERR)) throw new Error("matmul: a worker thread failed while computing its rows");
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
