/**
 * Kernel throughput for @typegrad/tensor, measured with benchmark.js.
 *
 *   npx tsx packages/tensor/bench/kernels.bench.ts      (or: pnpm bench)
 *
 * Reports matmul, addmm and the linear weight gradients in GFLOP/s (2·M·N·K flops per product),
 * elementwise ops (float32 exp, tanh, GELU, relu and the binary arithmetic, on the WebAssembly SIMD
 * kernels under the default backend), sum, softmax and its backward, the causal softmax, fused
 * cross-entropy, LayerNorm and the Adam update in millions of elements per second. Total runtime stays
 * around a minute. The row kernels against their TypeScript twins: bench/rows.bench.ts.
 */
import Benchmark from "benchmark";
import {
  adamUpdate,
  add,
  addInPlace,
  addmm,
  array,
  causalSoftmax,
  type DType,
  exp,
  gelu,
  geluBackward,
  layerNorm,
  layerNormBackward,
  linearWeightGrads,
  matmul,
  mul,
  type NDArray,
  Rng,
  randn,
  relu,
  reluBackward,
  softmax,
  softmaxBackward,
  softmaxCrossEntropyBackward,
  softmaxCrossEntropyForward,
  sum,
  tanh,
  tanhBackward,
} from "../src/index.js";

interface Case {
  name: string;
  /** Work per call, in `unit` (flops for matmul, elements otherwise). */
  work: number;
  unit: "GFLOP/s" | "M elem/s";
  fn: () => unknown;
  /** benchmark.js options: small for the slow cases so the whole run stays short. */
  minSamples: number;
  maxTime: number;
}

const rng = new Rng(0);
const data = (shape: number[], dtype: DType = "float32"): NDArray => randn(shape, { rng, dtype });

function matmulCase(n: number, dtype: DType, minSamples: number, maxTime: number): Case {
  const a = data([n, n], dtype);
  const b = data([n, n], dtype);
  return {
    name: `matmul ${n}x${n} ${dtype}`,
    work: 2 * n * n * n,
    unit: "GFLOP/s",
    fn: () => matmul(a, b),
    minSamples,
    maxTime,
  };
}

const M = 1 << 20; // 1,048,576 elements
const x1m = data([M]);
const y1m = data([M]);
const mat = data([1024, 1024]);
const row = data([1024]);
const logits = data([4096, 1000]);
const lnX = data([1024, 128]);
const lnG = data([1024, 128]);
const lnW = data([128]);
const lnB = data([128]);
const lnStats = layerNorm(lnX, 128, lnW, lnB, 1e-5);
const ADAM_N = 400_000;
const adamP = data([ADAM_N]).data as Float32Array;
const adamG = data([ADAM_N]).data as Float32Array;
const adamM = new Float32Array(ADAM_N);
const adamV = new Float32Array(ADAM_N);
const ADAM_OPTS = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: true };
let adamStep = 0;

const scores = data([16, 4, 64, 64]);
const scoresGrad = data([16, 4, 64, 64]);
const attnWeights = softmax(scores, -1);
const ceTargets = {
  target: array(
    Array.from({ length: 4096 }, (_, i) => (i * 37) % 1000),
    { dtype: "int32" },
  ),
  valid: array(new Array<number>(4096).fill(1), { dtype: "int32" }),
};
const ceGrad = array(new Array<number>(4096).fill(1 / 4096), { dtype: "float32" });
const linX = data([1024, 128]);
const linW = data([128, 512]);
const linG = data([1024, 512]);
const bias512 = data([512]);

const acc1m = data([M]);
const tanh1m = tanh(x1m);
const gradOfSum = array([1], { dtype: "float32" }).expand([M]);

const cases: Case[] = [
  matmulCase(256, "float32", 5, 2),
  matmulCase(256, "float64", 5, 2),
  matmulCase(1024, "float32", 3, 3),
  {
    name: "add 1M float32 (contiguous)",
    work: M,
    unit: "M elem/s",
    fn: () => add(x1m, y1m),
    minSamples: 5,
    maxTime: 1.5,
  },
  {
    name: "add 1024x1024 + row (broadcast)",
    work: M,
    unit: "M elem/s",
    fn: () => add(mat, row),
    minSamples: 5,
    maxTime: 1.5,
  },
  {
    name: "mul 1M float32 (contiguous)",
    work: M,
    unit: "M elem/s",
    fn: () => mul(x1m, y1m),
    minSamples: 5,
    maxTime: 1.5,
  },
  {
    name: "mul 1M float32 by a scalar",
    work: M,
    unit: "M elem/s",
    fn: () => mul(x1m, 2.5),
    minSamples: 5,
    maxTime: 1.5,
  },
  {
    name: "addInPlace 1M float32",
    work: M,
    unit: "M elem/s",
    fn: () => addInPlace(acc1m, y1m),
    minSamples: 5,
    maxTime: 1.5,
  },
  {
    name: "tanhBackward 1M float32 (expanded grad)",
    work: M,
    unit: "M elem/s",
    fn: () => tanhBackward(gradOfSum, tanh1m),
    minSamples: 5,
    maxTime: 1.5,
  },
  { name: "exp 1M float32", work: M, unit: "M elem/s", fn: () => exp(x1m), minSamples: 5, maxTime: 1.5 },
  { name: "tanh 1M float32", work: M, unit: "M elem/s", fn: () => tanh(x1m), minSamples: 5, maxTime: 1.5 },
  { name: "gelu 1M float32 (exact)", work: M, unit: "M elem/s", fn: () => gelu(x1m), minSamples: 5, maxTime: 1.5 },
  {
    name: "geluBackward 1M float32",
    work: M,
    unit: "M elem/s",
    fn: () => geluBackward(y1m, x1m),
    minSamples: 5,
    maxTime: 1.5,
  },
  { name: "sum 1M float32", work: M, unit: "M elem/s", fn: () => sum(x1m), minSamples: 5, maxTime: 1.5 },
  {
    name: "softmax 4096x1000 (dim -1)",
    work: 4096 * 1000,
    unit: "M elem/s",
    fn: () => softmax(logits, -1),
    minSamples: 5,
    maxTime: 2,
  },
  {
    name: "softmaxBackward 16x4x64x64 (attention)",
    work: scores.size,
    unit: "M elem/s",
    fn: () => softmaxBackward(scoresGrad, attnWeights, -1),
    minSamples: 5,
    maxTime: 1.5,
  },
  {
    name: "causalSoftmax 16x4x64x64",
    work: scores.size,
    unit: "M elem/s",
    fn: () => causalSoftmax(scores),
    minSamples: 5,
    maxTime: 1.5,
  },
  {
    name: "crossEntropy fwd+bwd 4096x1000",
    work: 4096 * 1000,
    unit: "M elem/s",
    fn: () => {
      const { saved } = softmaxCrossEntropyForward(logits, ceTargets);
      return softmaxCrossEntropyBackward(ceGrad, saved, ceTargets);
    },
    minSamples: 5,
    maxTime: 2,
  },
  {
    name: "relu 1M float32",
    work: M,
    unit: "M elem/s",
    fn: () => relu(x1m),
    minSamples: 5,
    maxTime: 1.5,
  },
  {
    name: "reluBackward 1M float32",
    work: M,
    unit: "M elem/s",
    fn: () => reluBackward(y1m, x1m),
    minSamples: 5,
    maxTime: 1.5,
  },
  {
    name: "addmm 1024x128 · 128x512 + bias",
    work: 2 * 1024 * 128 * 512,
    unit: "GFLOP/s",
    fn: () => addmm(bias512, linX, linW),
    minSamples: 5,
    maxTime: 1.5,
  },
  {
    name: "linearWeightGrads g 1024x512, x 1024x128",
    work: 2 * 1024 * 128 * 512,
    unit: "GFLOP/s",
    fn: () => linearWeightGrads(linG, linX),
    minSamples: 5,
    maxTime: 1.5,
  },
  {
    name: "layerNorm 1024x128 float32 (w, b)",
    work: 1024 * 128,
    unit: "M elem/s",
    fn: () => layerNorm(lnX, 128, lnW, lnB, 1e-5),
    minSamples: 5,
    maxTime: 1.5,
  },
  {
    name: "layerNormBackward 1024x128 float32",
    work: 1024 * 128,
    unit: "M elem/s",
    fn: () => layerNormBackward(lnG, lnX, 128, lnStats.mean, lnStats.rstd, lnW),
    minSamples: 5,
    maxTime: 1.5,
  },
  {
    name: "adamUpdate 400k float32 (AdamW)",
    work: ADAM_N,
    unit: "M elem/s",
    fn: () => adamUpdate(adamP, adamG, adamM, adamV, { ...ADAM_OPTS, step: ++adamStep }),
    minSamples: 5,
    maxTime: 1.5,
  },
];

interface Row {
  name: string;
  ms: string;
  rme: string;
  samples: string;
  throughput: string;
}

function run(c: Case): Row {
  const bench = new Benchmark(c.name, c.fn, { minSamples: c.minSamples, maxTime: c.maxTime, initCount: 1 });
  bench.run();
  if (bench.error) throw bench.error;
  const seconds = bench.stats.mean;
  const perSecond = c.work / seconds;
  const value = c.unit === "GFLOP/s" ? perSecond / 1e9 : perSecond / 1e6;
  return {
    name: c.name,
    ms: (seconds * 1e3).toFixed(3),
    rme: `±${bench.stats.rme.toFixed(1)}%`,
    samples: String(bench.stats.sample.length),
    throughput: `${value.toFixed(value < 10 ? 2 : 1)} ${c.unit}`,
  };
}

function table(rows: Row[]): string {
  const header: Row = { name: "kernel", ms: "mean ms", rme: "rme", samples: "samples", throughput: "throughput" };
  const all = [header, ...rows];
  const keys = Object.keys(header) as (keyof Row)[];
  const width = Object.fromEntries(keys.map((k) => [k, Math.max(...all.map((r) => r[k].length))])) as Record<
    keyof Row,
    number
  >;
  const line = (r: Row) =>
    `| ${keys.map((k) => (k === "name" ? r[k].padEnd(width[k]) : r[k].padStart(width[k]))).join(" | ")} |`;
  const rule = `|${keys.map((k) => "-".repeat(width[k] + 2)).join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

const started = performance.now();
console.log(`@typegrad/tensor kernels — node ${process.version}, ${process.platform}/${process.arch}`);
const rows: Row[] = [];
for (const c of cases) {
  rows.push(run(c));
  process.stdout.write(".");
}
console.log(`\n\n${table(rows)}\n`);
console.log(`total ${((performance.now() - started) / 1e3).toFixed(1)} s`);
