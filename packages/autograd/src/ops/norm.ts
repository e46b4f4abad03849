import * as nd from "@typegrad/tensor";
import { ArgumentError, describeValue, fmtShape, ShapeError } from "@typegrad/tensor";
import { backward } from "../engine.js";
import { isGradEnabled } from "../grad-mode.js";
import { recordBuiltin as record } from "../node.js";
import { Tensor } from "../tensor.js";
import { checkTensor, primitive } from "./common.js";

/** Checks layerNorm's arguments: k trailing dims, affine parameters of exactly those dims, eps. */
function checkLayerNorm(x: Tensor, k: number, weight: Tensor | null, bias: Tensor | null, eps: number): void {
  const op = "layerNorm";
  checkTensor(op, "input", x);
  if (!Number.isInteger(k) || k < 1 || k > x.ndim) {
    throw new ArgumentError(
      `${op}: k (the number of normalized trailing dims) must be an integer in 1..${x.ndim} for input of shape ${fmtShape(x.shape)}, got ${describeValue(k)}`,
    );
  }
  const tail = x.shape.slice(x.ndim - k);
  for (const [name, p] of [
    ["weight", weight],
    ["bias", bias],
  ] as const) {
    if (p === null || p === undefined) continue;
    checkTensor(op, name, p);
    if (!nd.shapesEqual(p.shape, tail)) {
      throw new ShapeError(
        `${op}: ${name} of shape ${fmtShape(p.shape)} must have the normalized shape ${fmtShape(tail)} of input ${fmtShape(x.shape)}`,
      );
    }
  }
  if (typeof eps !== "number" || !Number.isFinite(eps) || eps < 0) {
    throw new ArgumentError(`${op}: eps must be a finite number >= 0, got ${describeValue(eps)}`);
  }
}

/** The same normalisation from differentiable ops, for double backward (createGraph). */
function layerNormComposite(x: Tensor, k: number, weight: Tensor | null, bias: Tensor | null, eps: number): Tensor {
  const dims = Array.from({ length: k }, (_, i) => x.ndim - k + i);
  const centered = x.sub(x.mean(dims, true));
  let y = centered.mul(centered.mul(centered).mean(dims, true).add(eps).rsqrt());
  if (weight) y = y.mul(weight);
  if (bias) y = y.add(bias);
  return y;
}

/**
 * Layer normalisation over the trailing `k` dims (their sizes = weight's shape when affine), fused:
 * one kernel forward, one backward giving dx, dweight and dbias (see `nd.layerNormBackward`).
 *
 * @example
 * ```ts
 * layerNorm(x, 1, weight, bias, 1e-5); // normalise the last dim
 * ```
 */
export const layerNorm = primitive(
  "layerNorm",
  (x: Tensor, k: number, weight: Tensor | null, bias: Tensor | null, eps: number): Tensor => {
    checkLayerNorm(x, k, weight, bias, eps);
    const size = x.shape.slice(x.ndim - k).reduce((p, d) => p * d, 1);
    const { y, mean, rstd } = nd.layerNorm(x.data, size, weight ? weight.data : null, bias ? bias.data : null, eps);
    const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
    return record(
      "layerNorm",
      inputs,
      y,
      (g) => {
        if (isGradEnabled()) {
          // Double backward: differentiate the composite form instead.
          const params = [...(weight ? [weight] : []), ...(bias ? [bias] : [])];
          return vjpOfComposite(g, x, params, () => layerNormComposite(x, k, weight, bias, eps));
        }
        const { dx, dw, db } = nd.layerNormBackward(g.data, x.data, size, mean, rstd, weight ? weight.data : null);
        return [new Tensor(dx), ...(weight ? [new Tensor(dw)] : []), ...(bias ? [new Tensor(db)] : [])];
      },
      { saves: inputs },
    );
  },
);

/** Vector-Jacobian product of `build()` with `g` for x and params, itself recorded (createGraph). */
function vjpOfComposite(g: Tensor, x: Tensor, params: Tensor[], build: () => Tensor): Tensor[] {
  const inputs = [x, ...params];
  const grads = backward(build().mul(g).sum(), undefined, { inputs, createGraph: true, constants: [g] }) ?? [];
  return inputs.map((t, i) => grads[i] ?? new Tensor(nd.zerosLike(t.data)));
}
