import * as nd from "@typegrad/tensor";
import { ArgumentError, DTypeError, ShapeError } from "@typegrad/tensor";
import { isGradEnabled } from "../grad-mode.js";
import { recordBuiltin as record } from "../node.js";
import { Tensor } from "../tensor.js";
import { checkTensor, primitive, reduceTo } from "./common.js";

/**
 * torch.matmul semantics. Backward promotes 1-d operands to matrices the same way the forward did,
 * multiplies by the transposed partner, and sums broadcast batch dims back to each operand's shape.
 */
export const matmul = primitive("matmul", (a: Tensor, b: Tensor): Tensor => {
  checkTensor("matmul", "input", a);
  if (typeof b === "number") {
    throw new ArgumentError(`matmul: other must be a Tensor, got the number ${b} (use mul for a scalar)`);
  }
  checkTensor("matmul", "other", b);
  return record(
    "matmul",
    [a, b],
    nd.matmul(a.data, b.data),
    (g) => {
      const a2 = a.ndim === 1 ? a.unsqueeze(0) : a;
      const b2 = b.ndim === 1 ? b.unsqueeze(-1) : b;
      // Re-insert the dims the forward dropped: b's column first, so a 0-d g (1-d·1-d) becomes [1, 1].
      let g2 = g;
      if (b.ndim === 1) g2 = g2.unsqueeze(-1);
      if (a.ndim === 1) g2 = g2.unsqueeze(-2);
      const ga = a.requiresGrad ? reduceTo(g2.matmul(b2.transpose(-1, -2)), a2.shape).reshape(a.shape) : null;
      const gb = b.requiresGrad ? reduceTo(a2.transpose(-1, -2).matmul(g2), b2.shape).reshape(b.shape) : null;
      return [ga, gb];
    },
    { saves: [a, b] },
  );
});

/**
 * `x·Wᵀ + b` for 2-d `x` (N, in) and `W` (out, in), as one op: the product reads W through a
 * transposed view (no copy), the bias add is fused into the same output, and backward gives
 * contiguous gradients `dx = g·W`, `dW = gᵀ·x`, `db = Σ_rows g`.
 *
 * @example
 * ```ts
 * linear(x, weight, bias); // same as x.matmul(weight.T).add(bias)
 * ```
 */
export const linear = primitive("linear", (x: Tensor, weight: Tensor, bias: Tensor | null): Tensor => {
  checkTensor("linear", "x", x);
  checkTensor("linear", "weight", weight);
  if (bias !== null && bias !== undefined) checkTensor("linear", "bias", bias);
  if (!nd.isFloat(x.dtype) || !nd.isFloat(weight.dtype)) {
    throw new DTypeError(`linear: x and weight must be float32 or float64, got ${x.dtype} and ${weight.dtype}`);
  }
  if (x.ndim !== 2 || weight.ndim !== 2 || x.shape[1] !== weight.shape[1]) {
    throw new ShapeError(
      `linear: expected x (N, in) and weight (out, in) with the same in, got ${nd.fmtShape(x.shape)} and ${nd.fmtShape(weight.shape)}`,
    );
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== weight.shape[0])) {
    throw new ShapeError(`linear: bias must have shape [${weight.shape[0]}], got ${nd.fmtShape(bias.shape)}`);
  }
  const wT = weight.data.transpose(0, 1);
  const productDType = nd.promoteTypes(x.dtype, weight.dtype);
  let out = bias
    ? nd.addmm(bias.data.dtype === productDType ? bias.data : bias.data.astype(productDType), x.data, wT)
    : nd.matmul(x.data, wT);
  if (out.dtype !== x.dtype && nd.isFloat(x.dtype)) out = out.astype(x.dtype);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(
    "linear",
    inputs,
    out,
    (g) => {
      const firstOrder = !isGradEnabled() && weight.requiresGrad && (!bias || bias.requiresGrad);
      if (firstOrder && x.requiresGrad && x.dtype === weight.dtype) {
        // g·W, gᵀ·x and Σ_rows g from one staging of g, x and W.
        const { gx, gw, gb } = nd.linearGrads(g.data, x.data, weight.data);
        return bias ? [new Tensor(gx), new Tensor(gw), new Tensor(gb)] : [new Tensor(gx), new Tensor(gw)];
      }
      const gx = x.requiresGrad ? g.matmul(weight) : null;
      if (firstOrder && bias) {
        // gᵀ·x and Σ_rows g from one staging of g.
        const { gw, gb } = nd.linearWeightGrads(g.data, x.data);
        return [gx, new Tensor(gw), new Tensor(gb)];
      }
      const gw = weight.requiresGrad ? g.transpose(0, 1).matmul(x) : null;
      const gb = bias?.requiresGrad ? g.sum(0) : null;
      return bias ? [gx, gw, gb] : [gx, gw];
    },
    { saves: [x, weight] },
  );
});
