/**
 * The cross-entropy forward may leave its float32 probabilities in the row kernels' WebAssembly memory
 * for the backward pass (CrossEntropySaved): the gradient must be bit-for-bit the one computed from the
 * materialized probabilities, whether they are still resident, were evicted by another row kernel and
 * recomputed from the logits, or were copied out first; and float64 / the TypeScript backend keep
 * working through the same API.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  array,
  CrossEntropySaved,
  type CrossEntropyTargets,
  type NDArray,
  randn,
  setRowKernelBackend,
  softmax,
  softmaxCrossEntropy,
  softmaxCrossEntropyBackward,
  softmaxCrossEntropyForward,
} from "../src/index.js";

afterEach(() => setRowKernelBackend("auto"));

function targets(n: number, c: number, opts: { smoothing?: number; weighted?: boolean } = {}): CrossEntropyTargets {
  const target = array(
    Array.from({ length: n }, (_, i) => (i * 7) % c),
    { dtype: "int32" },
  );
  const valid = array(
    Array.from({ length: n }, (_, i) => (i % 5 === 3 ? 0 : 1)),
    { dtype: "int32" },
  );
  const weight = opts.weighted ? array(Array.from({ length: c }, (_, k) => 0.5 + (k % 3))) : null;
  return { target, valid, weight, smoothing: opts.smoothing ?? 0 };
}

const asBits = (x: NDArray) => Array.from(new Int32Array(Float32Array.from(x.toTypedArray()).buffer));

describe("CrossEntropySaved", () => {
  const cases = [
    { n: 64, c: 37 },
    { n: 33, c: 1000, smoothing: 0.1, weighted: true },
    { n: 16, c: 9, smoothing: 0.2 },
  ];
  for (const { n, c, ...opts } of cases) {
    const label = `${n}×${c}${opts.smoothing ? ` ε=${opts.smoothing}` : ""}${opts.weighted ? " weighted" : ""}`;
    const logits = randn([n, c]);
    const t = targets(n, c, opts);
    const g = randn([n]);
    const reference = () => {
      const { probs } = softmaxCrossEntropy(logits, t);
      return softmaxCrossEntropyBackward(g, probs, t);
    };

    it(`resident probabilities give the same gradient bits (${label})`, () => {
      const want = asBits(reference());
      const { saved } = softmaxCrossEntropyForward(logits, t);
      expect(saved.isResident()).toBe(true);
      expect(asBits(softmaxCrossEntropyBackward(g, saved, t))).toEqual(want);
      // The backward overwrote them in place: a second backward (retainGraph) recomputes.
      expect(saved.isResident()).toBe(false);
      expect(asBits(softmaxCrossEntropyBackward(g, saved, t))).toEqual(want);
    });

    it(`evicted probabilities are recomputed bit for bit (${label})`, () => {
      const want = asBits(reference());
      const { saved } = softmaxCrossEntropyForward(logits, t);
      softmax(randn([8, 16]), -1); // another row kernel reuses the memory
      expect(saved.isResident()).toBe(false);
      expect(asBits(softmaxCrossEntropyBackward(g, saved, t))).toEqual(want);
    });

    it(`probs() materializes the softmax (${label})`, () => {
      const { saved } = softmaxCrossEntropyForward(logits, t);
      expect(asBits(saved.probs())).toEqual(asBits(softmax(logits, -1)));
      expect(saved.isResident()).toBe(false);
      expect(asBits(softmaxCrossEntropyBackward(g, saved, t))).toEqual(asBits(reference()));
    });
  }

  it("float64 and the TypeScript backend go through the same API", () => {
    const logits = randn([12, 7], { dtype: "float64" });
    const t = targets(12, 7, { smoothing: 0.1 });
    const g = randn([12], { dtype: "float64" });
    const { saved } = softmaxCrossEntropyForward(logits, t);
    expect(saved).toBeInstanceOf(CrossEntropySaved);
    expect(saved.isResident()).toBe(false);
    const got = softmaxCrossEntropyBackward(g, saved, t).toArray();
    expect(got).toEqual(softmaxCrossEntropyBackward(g, softmaxCrossEntropy(logits, t).probs, t).toArray());
    setRowKernelBackend("js");
    const f32 = randn([40, 30]);
    const t32 = targets(40, 30);
    const js = softmaxCrossEntropyForward(f32, t32);
    expect(js.saved.isResident()).toBe(false);
    setRowKernelBackend("wasm");
    const viaWasm = softmaxCrossEntropyBackward(randn([40]), js.saved, t32);
    expect(viaWasm.shape).toEqual([40, 30]);
  });
});
