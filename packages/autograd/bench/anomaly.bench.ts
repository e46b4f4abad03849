/**
 * The cost of anomaly mode: the autograd.bench chain of 2000 tiny [1] ops (alternating mul and add),
 * forward + backward and forward only, with anomaly mode off, on, and off again. Off must cost what
 * autograd.bench's chain rows cost (the hooks are null: one null check per recorded op and per node
 * in backward). Run with `npx tsx packages/autograd/bench/anomaly.bench.ts` (about 25 s).
 */
import Benchmark from "benchmark";
import { isAnomalyEnabled, setDetectAnomaly, type Tensor, tensor } from "../src/index.js";

const CHAIN = 2000;
const MAX_TIME = 4; // seconds of sampling per benchmark

const x = tensor([1], { requiresGrad: true });
function chain(input: Tensor): Tensor {
  let y = input;
  for (let i = 0; i < CHAIN; i++) y = i % 2 === 0 ? y.mul(1.0001) : y.add(0.001);
  return y;
}

interface Row {
  name: string;
  mean: number;
  rme: number;
  samples: number;
}
const rows: Row[] = [];
const suite = new Benchmark.Suite("anomaly");
/** A benchmark run with anomaly mode set to `on` (set in onStart, so each row measures one mode). */
const add = (name: string, on: boolean, fn: () => unknown) => {
  suite.add(name, fn, {
    maxTime: MAX_TIME,
    onStart() {
      setDetectAnomaly(on);
    },
    onComplete(this: Benchmark) {
      if (isAnomalyEnabled() !== on) throw new Error(`${name}: anomaly mode changed while timing`);
      rows.push({ name, mean: this.stats.mean, rme: this.stats.rme, samples: this.stats.sample.length });
    },
  });
};
const fwdBwd = () => chain(x).sum().backward();
const fwd = () => chain(x);
add(`chain of ${CHAIN} tiny ops, forward + backward, anomaly off`, false, fwdBwd);
add(`chain of ${CHAIN} tiny ops, forward + backward, anomaly on`, true, fwdBwd);
add(`chain of ${CHAIN} tiny ops, forward + backward, anomaly off again`, false, fwdBwd);
add(`chain of ${CHAIN} tiny ops, forward recording the graph, anomaly off`, false, fwd);
add(`chain of ${CHAIN} tiny ops, forward recording the graph, anomaly on`, true, fwd);
add(`chain of ${CHAIN} tiny ops, forward recording the graph, anomaly off again`, false, fwd);

suite.on("error", (e: { target: { error: unknown } }) => {
  throw e.target.error;
});
suite.on("complete", () => {
  setDetectAnomaly(false);
  const table = rows.map((r) => [
    r.name,
    `${((r.mean / CHAIN) * 1e6).toFixed(2)} µs/op`,
    `${(r.mean * 1e3).toFixed(2)} ms/call`,
    `±${r.rme.toFixed(1)}%`,
    `${r.samples}`,
  ]);
  const header = ["benchmark", "per op", "per call", "rme", "samples"];
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  console.log(`\n@typegrad/autograd anomaly-mode benchmarks (node ${process.version})`);
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const t of table) console.log(line(t));
});
suite.run();
