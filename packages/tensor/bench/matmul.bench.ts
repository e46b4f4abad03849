/**
 * matmul throughput, pure-TypeScript gemm vs the WebAssembly SIMD gemm, in one run (benchmark.js).
 *
 *   npx tsx packages/tensor/bench/matmul.bench.ts        (or: pnpm --filter @typegrad/tensor bench:matmul)
 *
 * GFLOP/s = 2·M·N·K / mean time per `matmul` call (operand staging and result copy included); "best" uses
 * the fastest sample, which is steadier than the mean on a shared machine.
 * Single-threaded unless the backend column says otherwise (the 2-thread rows use the worker pool of
 * @typegrad/tensor/node). Also times the transposed layouts backward uses (A·Bᵀ and Aᵀ·B) on the wasm path.
 * Takes about a minute, most of it in the slow js 1024² cases.
 */
import Benchmark from "benchmark";
import { type DType, type MatmulBackend, matmul, type NDArray, Rng, randn, setMatmulBackend } from "../src/index.js";
import { setNumThreads } from "../src/node.js";

interface Case {
  name: string;
  n: number;
  dtype: DType;
  backend: MatmulBackend;
  threads: number;
  a: NDArray;
  b: NDArray;
}

const rng = new Rng(0);
const data = (shape: number[], dtype: DType): NDArray => randn(shape, { rng, dtype });

const cases: Case[] = [];
for (const n of [64, 256, 1024]) {
  for (const dtype of ["float32", "float64"] as DType[]) {
    const a = data([n, n], dtype);
    const b = data([n, n], dtype);
    for (const backend of ["js", "wasm"] as MatmulBackend[]) {
      cases.push({ name: "A·B", n, dtype, backend, threads: 1, a, b });
    }
    if (n >= 256) cases.push({ name: "A·B", n, dtype, backend: "wasm", threads: 2, a, b });
  }
}
{
  const a = data([1024, 1024], "float32");
  const b = data([1024, 1024], "float32");
  cases.push({ name: "A·Bᵀ", n: 1024, dtype: "float32", backend: "wasm", threads: 1, a, b: b.transpose(0, 1) });
  cases.push({ name: "Aᵀ·B", n: 1024, dtype: "float32", backend: "wasm", threads: 1, a: a.transpose(0, 1), b });
}

interface Row {
  product: string;
  size: string;
  dtype: string;
  backend: string;
  ms: string;
  rme: string;
  gflops: string;
  best: string;
  speedup: string;
}

function measure(c: Case): { seconds: number; rme: number; min: number } {
  const fn = () => matmul(c.a, c.b);
  setMatmulBackend(c.backend);
  setNumThreads(c.threads);
  // benchmark.js sizes its cycles from a first timing; a 1024² js product takes seconds, so keep
  // those to the minimum number of samples.
  const slow = c.backend === "js" && c.n >= 1024;
  const bench = new Benchmark(c.name, fn, { minSamples: slow ? 2 : 8, maxTime: slow ? 4 : 2, initCount: 1 });
  bench.run();
  setMatmulBackend("auto");
  setNumThreads(1);
  if (bench.error) throw bench.error;
  return { seconds: bench.stats.mean, rme: bench.stats.rme, min: Math.min(...bench.stats.sample) };
}

function table(rows: Row[]): string {
  const header: Row = {
    product: "product",
    size: "size",
    dtype: "dtype",
    backend: "backend",
    ms: "mean ms",
    rme: "rme",
    gflops: "GFLOP/s",
    best: "best GFLOP/s",
    speedup: "vs js",
  };
  const all = [header, ...rows];
  const keys = Object.keys(header) as (keyof Row)[];
  const width = Object.fromEntries(keys.map((k) => [k, Math.max(...all.map((r) => r[k].length))])) as Record<
    keyof Row,
    number
  >;
  const left = new Set<keyof Row>(["product", "size", "dtype", "backend"]);
  const line = (r: Row) =>
    `| ${keys.map((k) => (left.has(k) ? r[k].padEnd(width[k]) : r[k].padStart(width[k]))).join(" | ")} |`;
  const rule = `|${keys.map((k) => "-".repeat(width[k] + 2)).join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

const started = performance.now();
console.log(`@typegrad/tensor matmul — node ${process.version}, ${process.platform}/${process.arch}`);
const rows: Row[] = [];
const jsSeconds = new Map<string, number>();
for (const c of cases) {
  const { seconds, rme, min } = measure(c);
  const key = `${c.n}/${c.dtype}`;
  if (c.backend === "js" && c.name === "A·B") jsSeconds.set(key, seconds);
  const js = jsSeconds.get(key);
  rows.push({
    product: c.name,
    size: `${c.n}²`,
    dtype: c.dtype,
    backend: c.threads > 1 ? `${c.backend} ×${c.threads} threads` : c.backend,
    ms: (seconds * 1e3).toFixed(3),
    rme: `±${rme.toFixed(1)}%`,
    gflops: ((2 * c.n ** 3) / seconds / 1e9).toFixed(2),
    best: ((2 * c.n ** 3) / min / 1e9).toFixed(2),
    speedup: js && c.backend !== "js" ? `${(js / seconds).toFixed(1)}×` : "",
  });
  process.stdout.write(".");
}
console.log(`\n\n${table(rows)}\n`);
console.log(`total ${((performance.now() - started) / 1e3).toFixed(1)} s`);
