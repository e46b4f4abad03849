import type { CrossEntropyTargets } from "@typegrad/tensor";
import * as nd from "@typegrad/tensor";
import { record } from "../node.js";
import { Tensor } from "../tensor.js";
import { fused, primitive } from "./common.js";

/**
 * Per-row cross-entropy of `(N, C)` logits against class indices, fused: one stable pass computes
 * log-sum-exp, the losses and the softmax the gradient needs (PyTorch fuses this too). Reduction is
 * left to the caller. The double-backward form recomputes softmax with differentiable ops.
 *
 * @example
 * ```ts
 * softmaxCrossEntropy(logits, { target: ids.data, valid: nd.ones([N], { dtype: "bool" }) }).mean();
 * ```
 */
export const softmaxCrossEntropy = primitive(
  "softmaxCrossEntropy",
  (logits: Tensor, targets: CrossEntropyTargets): Tensor => {
    const { losses, probs } = nd.softmaxCrossEntropy(logits.data, targets);
    return record("softmaxCrossEntropy", [logits], losses, (g) => [
      fused(
        () => {
          const [n, c] = logits.shape as [number, number];
          const { a, b } = nd.softmaxCrossEntropyCoefficients(n, c, targets, probs.dtype as "float32" | "float64");
          return logits.softmax(1).mul(new Tensor(a)).sub(new Tensor(b)).mul(g.unsqueeze(1));
        },
        () => nd.softmaxCrossEntropyBackward(g.data, probs, targets),
      ),
    ]);
  },
);
