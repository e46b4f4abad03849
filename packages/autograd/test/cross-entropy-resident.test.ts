import * as nd from "@typegrad/tensor";
import { StateError } from "@typegrad/tensor";
import { describe, expect, it } from "vitest";
import { noGrad, softmaxCrossEntropy, Tensor } from "../src/index.js";

/**
 * float32 logits large enough for the WebAssembly row kernels, whose probabilities stay in WebAssembly
 * memory until backward; `logits` is a non-leaf so it may be changed in place.
 */
function setup() {
  const w = new Tensor(nd.randn([32, 50]), { requiresGrad: true });
  const logits = w.mul(1);
  const targets = {
    target: nd.array(
      Array.from({ length: 32 }, (_, i) => i % 50),
      { dtype: "int32" },
    ),
    valid: nd.ones([32], { dtype: "int32" }),
  };
  const probs = nd.softmax(logits.data, 1).toTypedArray();
  return { w, logits, targets, probs };
}

describe("softmaxCrossEntropy keeps its probabilities for backward", () => {
  it("an in-place change of the logits is harmless while the probabilities are resident", () => {
    const { w, logits, targets, probs } = setup();
    const loss = softmaxCrossEntropy(logits, targets).sum();
    noGrad(() => logits.add_(5));
    loss.backward();
    const grad = w.grad!.data.toTypedArray();
    for (let i = 0; i < 32 * 50; i++) {
      const want = (probs[i] as number) - (i % 50 === Math.floor(i / 50) % 50 ? 1 : 0);
      expect(Math.abs((grad[i] as number) - want)).toBeLessThan(1e-6);
    }
  });

  it("once they had to be recomputed from changed logits, backward throws a StateError naming the op", () => {
    const { logits, targets } = setup();
    const loss = softmaxCrossEntropy(logits, targets).sum();
    noGrad(() => logits.add_(5));
    nd.softmax(nd.randn([8, 16]), 1); // another row kernel reuses the WebAssembly memory
    let error: unknown;
    try {
      loss.backward();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StateError);
    expect((error as Error).message).toMatch(/softmaxCrossEntropy were modified in place.*clone the logits/);
  });
});
