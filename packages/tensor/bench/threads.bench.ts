/**
 * Row and elementwise kernels on one thread vs two (src/wasm/parallel.ts), in one run (benchmark.js),
 * float32 at the sizes of the peer benchmarks and the tiny transformer: the kernels split across the
 * worker pool (the fused cross-entropy, softmax, GELU and its backward) and, for reference, ones that
 * stay on the calling thread because splitting did not pay (causal softmax, softmax backward, tanh).
 *
 *   npx tsx packages/tensor/bench/threads.bench.ts
 *
 * Times are per call, staging copies and result allocation included; "best" is the fastest sample,
 * steadier than the mean on a shared machine. The 1- and 2-thread cases alternate so both see the
 * same load. Takes about half a minute.
 */
import Benchmark from "benchmark";
import {
  type CrossEntropyTargets,
  causalSoftmax,
  gelu,
  geluBackward,
  NDArray,
  Rng,
  randn,
  softmax,
  softmaxBackward,
  softmaxCrossEntropyBackward,
  softmaxCrossEntropyForward,
  tanh,
} from "../src/index.js";
import { setNumThreads } from "../src/node.js";

interface Case {
  op: string;
  shape: string;
  threads: number;
  fn: () => unknown;
}

const rng = new Rng(0);
const cases: Case[] = [];
const both = (op: string, shape: string, fn: () => unknown) => {
  for (const threads of [1, 2]) cases.push({ op, shape, threads, fn });
};

{
  const n = 4096;
  const c = 1000;
  const logits = randn([n, c], { rng, dtype: "float32" });
  const t: CrossEntropyTargets = {
    target: new NDArray(
      Int32Array.from({ length: n }, () => Math.floor(rng.next() * c)),
      [n],
    ),
    valid: new NDArray(new Uint8Array(n).fill(1), [n]),
  };
  const g = new NDArray(new Float32Array(n).fill(1 / n), [n]);
  both("crossEntropy fwd+bwd", "4096×1000", () =>
    softmaxCrossEntropyBackward(g, softmaxCrossEntropyForward(logits, t).saved, t),
  );
  both("softmax", "4096×1000", () => softmax(logits, -1));
}
{
  // attention: batch 16 × 4 heads × 64 queries over 64 keys
  const x = randn([16, 4, 64, 64], { rng, dtype: "float32" });
  const y = softmax(x, -1);
  const g = randn([16, 4, 64, 64], { rng, dtype: "float32" });
  both("causalSoftmax", "16×4×64×64", () => causalSoftmax(x));
  both("softmaxBackward", "16×4×64×64", () => softmaxBackward(g, y, -1));
}
{
  // the transformer's MLP activations: 16 × 64 tokens × 512
  const x = randn([16, 64, 512], { rng, dtype: "float32" });
  const g = randn([16, 64, 512], { rng, dtype: "float32" });
  both("gelu", "16×64×512", () => gelu(x));
  both("geluBackward", "16×64×512", () => geluBackward(g, x));
  both("tanh", "16×64×512", () => tanh(x));
}

interface Row {
  op: string;
  shape: string;
  threads: string;
  ms: string;
  rme: string;
  best: string;
  speedup: string;
}

function measure(c: Case): { seconds: number; rme: number; min: number } {
  setNumThreads(c.threads);
  const bench = new Benchmark(`${c.op} ${c.shape} ×${c.threads}`, c.fn, { minSamples: 10, maxTime: 1.5, initCount: 1 });
  bench.run();
  setNumThreads(1);
  if (bench.error) throw bench.error;
  return { seconds: bench.stats.mean, rme: bench.stats.rme, min: Math.min(...bench.stats.sample) };
}

function table(rows: Row[]): string {
  const header: Row = {
    op: "op",
    shape: "float32",
    threads: "threads",
    ms: "mean ms",
    rme: "rme",
    best: "best ms",
    speedup: "vs 1",
  };
  const all = [header, ...rows];
  const keys = Object.keys(header) as (keyof Row)[];
  const width = Object.fromEntries(keys.map((k) => [k, Math.max(...all.map((r) => r[k].length))])) as Record<
    keyof Row,
    number
  >;
  const left = new Set<keyof Row>(["op", "shape"]);
  const line = (r: Row) =>
    `| ${keys.map((k) => (left.has(k) ? r[k].padEnd(width[k]) : r[k].padStart(width[k]))).join(" | ")} |`;
  const rule = `|${keys.map((k) => "-".repeat(width[k] + 2)).join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

const started = performance.now();
console.log(
  `@typegrad/tensor kernels on the worker pool — node ${process.version}, ${process.platform}/${process.arch}`,
);
const rows: Row[] = [];
let oneThread = 0;
for (const c of cases) {
  const { seconds, rme, min } = measure(c);
  if (c.threads === 1) oneThread = seconds;
  rows.push({
    op: c.op,
    shape: c.shape,
    threads: String(c.threads),
    ms: (seconds * 1e3).toFixed(3),
    rme: `±${rme.toFixed(1)}%`,
    best: (min * 1e3).toFixed(3),
    speedup: c.threads === 1 ? "" : `${(oneThread / seconds).toFixed(2)}×`,
  });
  process.stdout.write(".");
}
console.log(`\n\n${table(rows)}\n`);
console.log(`total ${((performance.now() - started) / 1e3).toFixed(1)} s`);
process.exit(0);
