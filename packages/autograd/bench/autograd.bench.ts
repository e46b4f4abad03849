/**
 * Autograd benchmarks: the per-op cost of recording and backpropagating a graph of tiny ops, and a
 * float32 MLP training step. Run with `npx tsx packages/autograd/bench/autograd.bench.ts` (about 30 s).
 */
import * as nd from "@typegrad/tensor";
import Benchmark from "benchmark";
import { noGrad, type Tensor, tensor } from "../src/index.js";

const CHAIN = 2000;
const MAX_TIME = 4; // seconds of sampling per benchmark

interface Row {
  name: string;
  /** Mean seconds per call. */
  mean: number;
  rme: number;
  samples: number;
  /** What one call is worth, and its unit: e.g. [2000, "op"] prints µs/op. */
  per: [number, string];
}
const rows: Row[] = [];

// ---- (a) autograd overhead: a chain of tiny [1] ops, alternating mul and add ----
const x = tensor([1], { requiresGrad: true });
function chain(input: Tensor): Tensor {
  let y = input;
  for (let i = 0; i < CHAIN; i++) y = i % 2 === 0 ? y.mul(1.0001) : y.add(0.001);
  return y;
}

// ---- (b) MLP step: 256x64 -> Linear 256 -> tanh -> Linear 256 -> relu -> Linear 10, NLL of logSoftmax ----
const rng = new nd.Rng(0);
/** A Linear layer's weight [out, in] and bias [out], uniform in ±1/sqrt(in) like torch's default. */
function linear(inF: number, outF: number): [Tensor, Tensor] {
  const bound = 1 / Math.sqrt(inF);
  return [
    tensor(nd.uniform([outF, inF], -bound, bound, { rng }), { requiresGrad: true }),
    tensor(nd.uniform([outF], -bound, bound, { rng }), { requiresGrad: true }),
  ];
}
const layers = [linear(64, 256), linear(256, 256), linear(256, 10)];
const params = layers.flat();
const batch = tensor(nd.randn([256, 64], { rng }));
const targets = nd.randint(0, 10, [256, 1], { rng });

function mlpStep(): number {
  for (const p of params) p.grad = null;
  const [[w1, b1], [w2, b2], [w3, b3]] = layers as [[Tensor, Tensor], [Tensor, Tensor], [Tensor, Tensor]];
  const h1 = batch.matmul(w1.T).add(b1).tanh();
  const h2 = h1.matmul(w2.T).add(b2).relu();
  const logits = h2.matmul(w3.T).add(b3);
  const loss = logits.logSoftmax(-1).gather(1, targets).mean().neg();
  loss.backward();
  return loss.item();
}
function mlpForward(): number {
  return noGrad(() => {
    const [[w1, b1], [w2, b2], [w3, b3]] = layers as [[Tensor, Tensor], [Tensor, Tensor], [Tensor, Tensor]];
    const h1 = batch.matmul(w1.T).add(b1).tanh();
    const h2 = h1.matmul(w2.T).add(b2).relu();
    return h2.matmul(w3.T).add(b3).logSoftmax(-1).gather(1, targets).mean().item();
  });
}

// Sanity before timing: the step produces finite gradients of the right dtype.
const loss0 = mlpStep();
if (!Number.isFinite(loss0) || params.some((p) => p.grad?.dtype !== "float32")) {
  throw new Error(`MLP sanity check failed: loss ${loss0}`);
}

const suite = new Benchmark.Suite("autograd");
const add = (name: string, fn: () => unknown, per: [number, string]) => {
  suite.add(name, fn, {
    maxTime: MAX_TIME,
    onComplete(this: Benchmark) {
      rows.push({ name, mean: this.stats.mean, rme: this.stats.rme, samples: this.stats.sample.length, per });
    },
  });
};
add(`chain of ${CHAIN} tiny ops, forward + backward`, () => chain(x).sum().backward(), [CHAIN, "op"]);
add(`chain of ${CHAIN} tiny ops, forward recording the graph`, () => chain(x), [CHAIN, "op"]);
add(`chain of ${CHAIN} tiny ops, forward under noGrad`, () => noGrad(() => chain(x)), [CHAIN, "op"]);
add("MLP 256x64 -> 256 -> 256 -> 10 float32, forward + backward", mlpStep, [1, "step"]);
add("MLP 256x64 -> 256 -> 256 -> 10 float32, forward only (noGrad)", mlpForward, [1, "step"]);

suite.on("error", (e: { target: { error: unknown } }) => {
  throw e.target.error;
});
suite.on("complete", () => {
  const fmt = (r: Row): string => {
    const perUnit = r.mean / r.per[0];
    return perUnit < 1e-3
      ? `${(perUnit * 1e6).toFixed(2)} µs/${r.per[1]}`
      : `${(perUnit * 1e3).toFixed(2)} ms/${r.per[1]}`;
  };
  const table = rows.map((r) => [
    r.name,
    fmt(r),
    `${(r.mean * 1e3).toFixed(2)} ms/call`,
    `±${r.rme.toFixed(1)}%`,
    `${r.samples}`,
  ]);
  const header = ["benchmark", "per unit", "per call", "rme", "samples"];
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  console.log(`\n@typegrad/autograd benchmarks (node ${process.version})`);
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const t of table) console.log(line(t));
});
suite.run();
