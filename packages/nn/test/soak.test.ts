/**
 * Long runs: training an MLP for thousands of steps keeps the heap flat (each step's graph is freed
 * once backward has run), and very deep (100k ops) and very wide (10k-input fan-in) graphs backprop.
 *
 * Sized for CI: 2,000 training steps. `TYPEGRAD_SOAK=long` runs 20,000.
 * Heap is measured with `process.memoryUsage().heapUsed` after a full GC (`global.gc` when node runs
 * with --expose-gc, otherwise the flag is switched on at runtime and `gc` taken from a fresh context).
 */
import v8 from "node:v8";
import vm from "node:vm";
import { stack, Tensor, tensor } from "@typegrad/autograd";
import * as nd from "@typegrad/tensor";
import { manualSeed, Rng } from "@typegrad/tensor";
import { describe, expect, it } from "vitest";
import { ReLU, Sequential } from "../src/layers/basic.js";
import { Linear } from "../src/layers/linear.js";
import { crossEntropy } from "../src/losses/index.js";
import { Adam } from "../src/optim/index.js";

const LONG = process.env.TYPEGRAD_SOAK === "long";
const STEPS = LONG ? 20_000 : 2_000;
/** Allowed heap growth between 10% and 100% of the run. */
const BOUND_MB = 5;
const MB = 1024 * 1024;

function getGc(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === "function") return exposed;
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as () => void;
}
const gc = getGc();

/** Heap in use after full collections (the lowest of three readings, to step over allocation noise). */
async function settledHeap(): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 0)); // let WeakRefs from the last job be cleared
    gc();
    gc();
    best = Math.min(best, process.memoryUsage().heapUsed);
  }
  return best;
}

const fmt = (bytes: number) => `${(bytes / MB).toFixed(2)} MB`;

describe("soak: a long training run keeps the heap flat", () => {
  it(
    `MLP 32→64→64→4 with Adam and cross-entropy, ${STEPS} steps`,
    async () => {
      manualSeed(0);
      const model = new Sequential(new Linear(32, 64), new ReLU(), new Linear(64, 64), new ReLU(), new Linear(64, 4));
      const opt = new Adam(model.parameters(), { lr: 1e-3 });
      // A fixed pool of batches: a hidden linear rule labels the points, so the loss can fall.
      const rng = new Rng(1);
      const rule = nd.randn([32, 4], { rng });
      const batches = Array.from({ length: 16 }, () => {
        const x = nd.randn([32, 32], { rng });
        return { x: new Tensor(x), y: nd.argmax(nd.matmul(x, rule), 1) };
      });

      const checkpoints = new Map<number, number>();
      const marks = new Set([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1].map((f) => Math.round(f * STEPS)));
      let firstLoss = 0;
      let lastLoss = 0;
      let lossRef: WeakRef<Tensor> | null = null;
      let hiddenRef: WeakRef<Tensor> | null = null;
      const t0 = performance.now();
      for (let step = 1; step <= STEPS; step++) {
        const { x, y } = batches[step % batches.length]!;
        opt.zeroGrad();
        const loss = crossEntropy(model.forward(x), y);
        loss.backward();
        opt.step();
        if (step === 1) firstLoss = loss.item();
        if (step > STEPS - batches.length) lastLoss += loss.item() / batches.length;
        if (step === Math.round(STEPS / 2)) {
          // hold only weak references to one step's graph: it must become collectable
          lossRef = new WeakRef(loss);
          hiddenRef = new WeakRef(loss.gradFn?.inputs[0] as Tensor);
        }
        if (marks.has(step)) checkpoints.set(step, await settledHeap());
      }
      const seconds = (performance.now() - t0) / 1000;

      const at = (fraction: number) => checkpoints.get(Math.round(fraction * STEPS)) as number;
      const growth = at(1) - at(0.1);
      const growthLate = at(1) - at(0.5);
      const series = [...checkpoints].map(([s, h]) => `${s}: ${fmt(h)}`).join(", ");
      console.log(
        `soak: ${STEPS} steps in ${seconds.toFixed(1)} s; heap after GC at 10% ${fmt(at(0.1))}, 50% ${fmt(at(0.5))}, 100% ${fmt(at(1))}; growth 10%→100% ${fmt(growth)} (${(growth / (0.9 * STEPS)) | 0} B/step), 50%→100% ${fmt(growthLate)}; loss ${firstLoss.toFixed(3)} → ${lastLoss.toFixed(3)}\n  series: ${series}`,
      );

      expect(growth).toBeLessThan(BOUND_MB * MB);
      expect(growthLate).toBeLessThan(BOUND_MB * MB);
      expect(lossRef?.deref()).toBeUndefined();
      expect(hiddenRef?.deref()).toBeUndefined();
      expect(lastLoss).toBeLessThan(firstLoss); // it really trained
    },
    LONG ? 1_800_000 : 120_000,
  );
});

describe("extreme graphs still backprop", () => {
  it("a 100,000-op chain (no stack overflow, exact gradient, graph freed)", async () => {
    const before = await settledHeap();
    const x = tensor([0.5, -2], { dtype: "float64", requiresGrad: true });
    let y = x;
    let slope = 1; // dy/dx, tracked by hand
    for (let i = 0; i < 50_000; i++) {
      const a = 1 + ((i % 5) - 2) * 1e-6;
      y = y.mul(a).add(1e-7);
      slope *= a;
    }
    y.sum().backward();
    expect(x.grad?.data.toTypedArray()[0]).toBeCloseTo(slope, 12);
    expect(x.grad?.data.toTypedArray()[1]).toBeCloseTo(slope, 12);
    y = x; // drop the chain
    const after = await settledHeap();
    console.log(`100k-op chain: heap after GC ${fmt(before)} before, ${fmt(after)} after`);
    expect(after - before).toBeLessThan(BOUND_MB * MB);
  });

  it("a 10,000-wide fan-out and fan-in: one leaf feeds 10k ops that one stack consumes", () => {
    const x = tensor([1, 2, 3], { dtype: "float64", requiresGrad: true });
    const terms: Tensor[] = [];
    let expected = 0;
    for (let i = 0; i < 10_000; i++) {
      const c = (i % 7) + 1;
      terms.push(x.mul(c));
      expected += c;
    }
    stack(terms).sum().backward();
    expect(Array.from(x.grad?.data.toTypedArray() ?? [])).toEqual([expected, expected, expected]);

    // and 10k separate leaves summed by one add chain's worth of fan-in into a single node
    const leaves = Array.from({ length: 10_000 }, (_, i) => tensor([i], { dtype: "float64", requiresGrad: true }));
    stack(leaves).mul(stack(leaves)).sum().backward(); // d/dl (l²) = 2l, each leaf used twice
    expect(leaves[1234]?.grad?.item()).toBe(2 * 1234);
    expect(leaves[9999]?.grad?.item()).toBe(2 * 9999);
  });
});
