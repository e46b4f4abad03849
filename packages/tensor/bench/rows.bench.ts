/**
 * Row kernels, pure-TypeScript loops vs the WebAssembly SIMD row kernels (src/wasm/rows.wat), in one run
 * (benchmark.js): the fused softmax cross-entropy forward and backward, softmax and log-softmax and their
 * backward passes, float32.
 *
 *   npx tsx packages/tensor/bench/rows.bench.ts
 *
 * Times are per call, staging copies and result allocation included; "best" is the fastest sample,
 * steadier than the mean on a shared machine. js and wasm cases alternate so both see the same load.
 * Takes about half a minute.
 */
import Benchmark from "benchmark";
import {
  type CrossEntropyTargets,
  logSoftmax,
  logSoftmaxBackward,
  NDArray,
  Rng,
  type RowKernelBackend,
  randn,
  setRowKernelBackend,
  softmax,
  softmaxBackward,
  softmaxCrossEntropy,
  softmaxCrossEntropyBackward,
} from "../src/index.js";

interface Case {
  op: string;
  shape: string;
  backend: RowKernelBackend;
  fn: () => unknown;
}

const rng = new Rng(0);

/** Logits, targets and upstream gradient for an n×c cross-entropy (mean reduction: g = 1/n). */
function ceData(n: number, c: number, smoothing = 0) {
  const logits = randn([n, c], { rng, dtype: "float32" });
  const targets: CrossEntropyTargets = {
    target: new NDArray(
      Int32Array.from({ length: n }, () => Math.floor(rng.next() * c)),
      [n],
    ),
    valid: new NDArray(new Uint8Array(n).fill(1), [n]),
    smoothing,
  };
  const g = new NDArray(new Float32Array(n).fill(1 / n), [n]);
  setRowKernelBackend("js");
  const { probs } = softmaxCrossEntropy(logits, targets);
  setRowKernelBackend("auto");
  return { logits, targets, g, probs };
}

const cases: Case[] = [];
const both = (op: string, shape: string, fn: () => unknown) => {
  for (const backend of ["js", "wasm"] as RowKernelBackend[]) cases.push({ op, shape, backend, fn });
};
{
  const d = ceData(4096, 1000);
  both("crossEntropy fwd", "4096×1000", () => softmaxCrossEntropy(d.logits, d.targets));
  both("crossEntropy bwd", "4096×1000", () => softmaxCrossEntropyBackward(d.g, d.probs, d.targets));
  both("crossEntropy fwd+bwd", "4096×1000", () => {
    const { probs } = softmaxCrossEntropy(d.logits, d.targets);
    return softmaxCrossEntropyBackward(d.g, probs, d.targets);
  });
  both("softmax", "4096×1000", () => softmax(d.logits, -1));
  both("logSoftmax", "4096×1000", () => logSoftmax(d.logits, -1));
  const g = randn([4096, 1000], { rng, dtype: "float32" });
  const y = softmax(d.logits, -1);
  const ly = logSoftmax(d.logits, -1);
  both("softmaxBackward", "4096×1000", () => softmaxBackward(g, y, -1));
  both("logSoftmaxBackward", "4096×1000", () => logSoftmaxBackward(g, ly, -1));
}
{
  const d = ceData(4096, 1000, 0.1);
  both("crossEntropy fwd, ε=0.1", "4096×1000", () => softmaxCrossEntropy(d.logits, d.targets));
}
{
  // attention-sized rows: batch 16 × 4 heads × 64 queries over 64 keys
  const x = randn([16, 4, 64, 64], { rng, dtype: "float32" });
  both("softmax", "16×4×64×64", () => softmax(x, -1));
  // and the attention weights' gradient
  const g = randn([16, 4, 64, 64], { rng, dtype: "float32" });
  const y = softmax(x, -1);
  const ly = logSoftmax(x, -1);
  both("softmaxBackward", "16×4×64×64", () => softmaxBackward(g, y, -1));
  both("logSoftmaxBackward", "16×4×64×64", () => logSoftmaxBackward(g, ly, -1));
}
{
  const x = randn([64, 65], { rng, dtype: "float32" });
  both("softmax", "64×65", () => softmax(x, -1));
}

interface Row {
  op: string;
  shape: string;
  backend: string;
  ms: string;
  rme: string;
  best: string;
  speedup: string;
}

function measure(c: Case): { seconds: number; rme: number; min: number } {
  setRowKernelBackend(c.backend);
  const bench = new Benchmark(`${c.op} ${c.shape} ${c.backend}`, c.fn, { minSamples: 10, maxTime: 1.5, initCount: 1 });
  bench.run();
  setRowKernelBackend("auto");
  if (bench.error) throw bench.error;
  return { seconds: bench.stats.mean, rme: bench.stats.rme, min: Math.min(...bench.stats.sample) };
}

function table(rows: Row[]): string {
  const header: Row = {
    op: "op",
    shape: "float32",
    backend: "backend",
    ms: "mean ms",
    rme: "rme",
    best: "best ms",
    speedup: "vs js",
  };
  const all = [header, ...rows];
  const keys = Object.keys(header) as (keyof Row)[];
  const width = Object.fromEntries(keys.map((k) => [k, Math.max(...all.map((r) => r[k].length))])) as Record<
    keyof Row,
    number
  >;
  const left = new Set<keyof Row>(["op", "shape", "backend"]);
  const line = (r: Row) =>
    `| ${keys.map((k) => (left.has(k) ? r[k].padEnd(width[k]) : r[k].padStart(width[k]))).join(" | ")} |`;
  const rule = `|${keys.map((k) => "-".repeat(width[k] + 2)).join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

const started = performance.now();
console.log(`@typegrad/tensor row kernels — node ${process.version}, ${process.platform}/${process.arch}`);
const rows: Row[] = [];
let jsSeconds = 0;
for (const c of cases) {
  const { seconds, rme, min } = measure(c);
  if (c.backend === "js") jsSeconds = seconds;
  rows.push({
    op: c.op,
    shape: c.shape,
    backend: c.backend,
    ms: (seconds * 1e3).toFixed(3),
    rme: `±${rme.toFixed(1)}%`,
    best: (min * 1e3).toFixed(3),
    speedup: c.backend === "js" ? "" : `${(jsSeconds / seconds).toFixed(1)}×`,
  });
  process.stdout.write(".");
}
console.log(`\n\n${table(rows)}\n`);
console.log(`total ${((performance.now() - started) / 1e3).toFixed(1)} s`);
