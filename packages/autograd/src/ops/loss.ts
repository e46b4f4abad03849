import type { CrossEntropyTargets } from "@typegrad/tensor";
import * as nd from "@typegrad/tensor";
import { ArgumentError, DTypeError, describeValue, fmtShape, IndexError, ShapeError } from "@typegrad/tensor";
import { recordBuiltin as record } from "../node.js";
import { Tensor } from "../tensor.js";
import { checkTensor, fused, primitive } from "./common.js";

/** Checks the fused cross-entropy's logits and targets: shapes, dtypes, class indices in range, smoothing. */
function checkTargets(op: string, logits: Tensor, t: CrossEntropyTargets): void {
  checkTensor(op, "logits", logits);
  if (logits.ndim !== 2) throw new ShapeError(`${op}: logits must be 2-d (N, C), got ${fmtShape(logits.shape)}`);
  if (!nd.isFloat(logits.dtype)) {
    throw new DTypeError(
      `${op}: logits must be float32 or float64, got ${logits.dtype} of shape ${fmtShape(logits.shape)}`,
    );
  }
  if (t === null || typeof t !== "object") {
    throw new ArgumentError(`${op}: targets must be { target, valid, weight?, smoothing? }, got ${describeValue(t)}`);
  }
  const [n, c] = logits.shape as [number, number];
  for (const name of ["target", "valid"] as const) {
    if (!(t[name] instanceof nd.NDArray)) {
      throw new ArgumentError(`${op}: targets.${name} must be an NDArray, got ${describeValue(t[name])}`);
    }
    if (t[name].size !== n) {
      throw new ShapeError(
        `${op}: targets.${name} must have ${n} entries (one per row), got shape ${fmtShape(t[name].shape)}`,
      );
    }
  }
  if (t.target.dtype !== "int32") {
    throw new DTypeError(
      `${op}: targets.target must be int32 class indices, got ${t.target.dtype} of shape ${fmtShape(t.target.shape)}`,
    );
  }
  if (t.weight !== undefined && t.weight !== null) {
    if (!(t.weight instanceof nd.NDArray)) {
      throw new ArgumentError(`${op}: targets.weight must be an NDArray or null, got ${describeValue(t.weight)}`);
    }
    if (t.weight.size !== c)
      throw new ShapeError(`${op}: targets.weight must have ${c} entries, got ${fmtShape(t.weight.shape)}`);
  }
  const eps = t.smoothing;
  if (eps !== undefined && (typeof eps !== "number" || !(eps >= 0 && eps <= 1))) {
    throw new ArgumentError(`${op}: targets.smoothing must be a number in [0, 1], got ${describeValue(eps)}`);
  }
  const y = t.target.toTypedArray();
  const valid = t.valid.toTypedArray();
  for (let i = 0; i < n; i++) {
    const v = y[i] as number;
    if (valid[i] && (v < 0 || v >= c)) {
      throw new IndexError(`${op}: target ${v} in row ${i} is out of range for ${c} classes (expected 0..${c - 1})`);
    }
  }
}

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
    checkTargets("softmaxCrossEntropy", logits, targets);
    const { losses, saved } = nd.softmaxCrossEntropyForward(logits.data, targets);
    // The probabilities may stay in WebAssembly memory and, if that was reused meanwhile, be recomputed
    // from the logits: that needs the logits unchanged (torch would not mind an in-place change here).
    const version = logits.version;
    return record("softmaxCrossEntropy", [logits], losses, (g) => [
      fused(
        () => {
          const [n, c] = logits.shape as [number, number];
          const { a, b } = nd.softmaxCrossEntropyCoefficients(n, c, targets, losses.dtype as "float32" | "float64");
          return logits.softmax(1).mul(new Tensor(a)).sub(new Tensor(b)).mul(g.unsqueeze(1));
        },
        () => {
          if (logits.version !== version && !saved.isResident()) {
            throw new nd.StateError(
              `backward: the logits of shape ${nd.fmtShape(logits.shape)} given to softmaxCrossEntropy were modified in place (version ${version} at the forward pass, now ${logits.version}) and its probabilities must be recomputed from them; clone the logits before modifying them.`,
            );
          }
          return nd.softmaxCrossEntropyBackward(g.data, saved, targets);
        },
      ),
    ]);
  },
);
