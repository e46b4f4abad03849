/**
 * A `worker_threads` pool for the wasm gemm (Node only; imported by src/node.ts, never by the
 * portable entry point). Each worker instantiates the same compiled module over the same shared
 * WebAssembly.Memory and then sleeps in `Atomics.wait` on a small control block; the calling thread
 * writes jobs there, wakes them with `Atomics.notify`, computes its own share and blocks in
 * `Atomics.wait` until all are done — so `matmul` stays synchronous.
 */
import { Worker } from "node:worker_threads";
import type { GemmJob, GemmPool, WasmGemm } from "./runtime.js";

// Control block layout (Int32Array over a SharedArrayBuffer).
const GEN = 0; // bumped once per dispatch; workers wait on it
const DONE = 1; // jobs finished in the current dispatch
const ERR = 2; // set when a worker's job threw
const HEADER = 8;
// Per worker: [0] element size (0 = no job), [1..14] the other gemm args, [15] how many products the
// job runs, [16] the byte offset of their (A, B, C) offset triples in the memory (0: one product with
// the offsets in the args), [17..18] unused, [19] ready flag.
const SLOT = 20;
const ARGS = 19;
const READY = 19;

/** Polls of the control block before a worker (or the joining caller) sleeps: about 20–50 µs. */
const SPIN = 20000;

/** Polls after a wake-up without a job (about 1 ms): long enough to cover staging a large product. */
const WAKE_SPIN = 200000;

/** How long the first large product waits for freshly spawned workers to come up. */
const STARTUP_TIMEOUT_MS = 5000;

/** The code each worker runs (plain JS, so it loads the same way under tsx, vitest and the built package). */
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { module, memory, control, slot } = workerData;
const ctl = new Int32Array(control);
const base = ${HEADER} + slot * ${SLOT};
const gemm = new WebAssembly.Instance(module, { env: { memory } }).exports.gemm;
let seen = Atomics.load(ctl, ${GEN});
Atomics.store(ctl, base + ${READY}, 1);
Atomics.notify(ctl, base + ${READY});
let spin = ${SPIN};
for (;;) {
  // Spin briefly before sleeping: a training step issues products back to back, and waking from a
  // futex costs tens of microseconds each time.
  for (let i = 0; i < spin && Atomics.load(ctl, ${GEN}) === seen; i++);
  Atomics.wait(ctl, ${GEN}, seen);
  seen = Atomics.load(ctl, ${GEN});
  const es = Atomics.load(ctl, base);
  // No job: woken ahead of one (see wake()), so stay awake while the caller stages the operands.
  spin = es === 0 ? ${WAKE_SPIN} : ${SPIN};
  if (es === 0) continue;
  try {
    const count = ctl[base + 15], table = ctl[base + 16];
    if (table === 0) {
      gemm(es, ctl[base + 1], ctl[base + 2], ctl[base + 3], ctl[base + 4], ctl[base + 5], ctl[base + 6],
        ctl[base + 7], ctl[base + 8], ctl[base + 9], ctl[base + 10], ctl[base + 11], ctl[base + 12],
        ctl[base + 13], ctl[base + 14]);
    } else {
      const t = new Int32Array(memory.buffer, table, 3 * count);
      for (let b = 0; b < count; b++) {
        gemm(es, ctl[base + 1], ctl[base + 2], ctl[base + 3], t[3 * b], ctl[base + 5], ctl[base + 6],
          t[3 * b + 1], ctl[base + 8], ctl[base + 9], t[3 * b + 2], ctl[base + 11], ctl[base + 12],
          ctl[base + 13], ctl[base + 14]);
      }
    }
  } catch {
    Atomics.store(ctl, ${ERR}, 1);
  }
  Atomics.store(ctl, base, 0);
  Atomics.add(ctl, ${DONE}, 1);
  Atomics.notify(ctl, ${DONE});
}
`;

/** `size` workers over `gemm`'s shared memory, spawned on first use. */
export class WorkerGemmPool implements GemmPool {
  private readonly ctl: Int32Array;
  private workers: Worker[] = [];
  private pending = 0;

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
      const at = HEADER + slot * SLOT + READY;
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
    for (let slot = 0; slot < this.size; slot++) if (Atomics.load(this.ctl, HEADER + slot * SLOT + READY)) n++;
    return n;
  }

  dispatch(jobs: readonly GemmJob[]): void {
    Atomics.store(this.ctl, DONE, 0);
    Atomics.store(this.ctl, ERR, 0);
    let slot = 0;
    for (const job of jobs) {
      while (!Atomics.load(this.ctl, HEADER + slot * SLOT + READY)) slot++;
      const base = HEADER + slot * SLOT;
      for (let i = 1; i < ARGS; i++) this.ctl[base + i] = (job[i] ?? (i === 15 ? 1 : 0)) as number;
      // The element size is written last, atomically: it publishes the arguments above.
      Atomics.store(this.ctl, base, job[0] as number);
      slot++;
    }
    this.pending = jobs.length;
    Atomics.add(this.ctl, GEN, 1);
    Atomics.notify(this.ctl, GEN);
  }

  wake(): void {
    if (this.workers.length === 0) return;
    Atomics.add(this.ctl, GEN, 1);
    Atomics.notify(this.ctl, GEN);
  }

  join(): void {
    for (let i = 0; i < SPIN && Atomics.load(this.ctl, DONE) < this.pending; i++);
    for (;;) {
      const done = Atomics.load(this.ctl, DONE);
      if (done >= this.pending) break;
      Atomics.wait(this.ctl, DONE, done);
    }
    this.pending = 0;
    if (Atomics.load(this.ctl, ERR)) throw new Error("matmul: a worker thread failed while computing its rows");
  }

  /** Stops the workers (they are idle: every dispatch is joined before returning). */
  terminate(): void {
    for (const w of this.workers) void w.terminate();
    this.workers = [];
  }
}
