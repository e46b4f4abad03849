import * as nd from "@typegrad/tensor";
import { recordBuiltin as record } from "../node.js";
import { Tensor } from "../tensor.js";
import { checkTensor, fused, primitive } from "./common.js";

type Dims = number | readonly number[] | undefined;

/** Reshapes a reduced gradient so it broadcasts against the input again (re-inserting dropped dims). */
function unreduce(g: Tensor, x: Tensor, dim: Dims, keepdim: boolean): Tensor {
  if (keepdim || x.ndim === 0) return g;
  const dims = nd.normalizeDims("sum", dim, x.ndim);
  return g.reshape(x.shape.map((d, i) => (dims.includes(i) ? 1 : d)));
}

export const sum = primitive(
  "sum",
  (x: Tensor, dim?: Dims, keepdim = false): Tensor =>
    record("sum", [x], nd.sum(x.data, dim, keepdim), (g) => [unreduce(g, x, dim, keepdim).expand(x.shape)]),
);

export const mean = primitive("mean", (x: Tensor, dim?: Dims, keepdim = false): Tensor => {
  const count = nd.normalizeDims("mean", dim, x.ndim).reduce((p, d) => p * (x.shape[d] as number), 1);
  // Divide the small gradient first, then broadcast it as a view.
  return record("mean", [x], nd.mean(x.data, dim, keepdim), (g) => [
    unreduce(g.div(count), x, dim, keepdim).expand(x.shape),
  ]);
});

/** Variance, composed from mean and squares so it is twice differentiable for free. */
export function variance(
  x: Tensor,
  dim?: Dims,
  opts: { unbiased?: boolean; correction?: number; keepdim?: boolean } = {},
): Tensor {
  const correction = nd.varianceCorrection("var", opts);
  const count = nd.normalizeDims("var", dim, x.ndim).reduce((p, d) => p * (x.shape[d] as number), 1);
  const centered = x.sub(x.mean(dim, true));
  return centered
    .mul(centered)
    .sum(dim, opts.keepdim ?? false)
    .div(Math.max(0, count - correction));
}

function extreme(name: "max" | "min") {
  return primitive(
    name,
    (x: Tensor, dim?: Dims, keepdim = false): Tensor =>
      record(
        name,
        [x],
        nd[name](x.data, dim, keepdim),
        (g, y) => {
          // Ties share the gradient evenly (torch's amax/amin rule).
          const hit = nd.eq(x.data, unreduce(y, x, dim, keepdim).data).astype(g.dtype);
          const count = nd.sum(hit, dim, true);
          const share = new Tensor(nd.div(hit, count));
          return [unreduce(g, x, dim, keepdim).mul(share)];
        },
        { saves: [x], savesOutput: true },
      ),
  );
}

export const max = extreme("max");
export const min = extreme("min");

export const logsumexp = primitive(
  "logsumexp",
  (x: Tensor, dim: Dims, keepdim = false): Tensor =>
    record(
      "logsumexp",
      [x],
      nd.logsumexp(x.data, dim, keepdim),
      (g, y) => [unreduce(g, x, dim, keepdim).mul(x.sub(unreduce(y, x, dim, keepdim)).exp())],
      { saves: [x], savesOutput: true },
    ),
);

export const softmax = primitive(
  "softmax",
  (x: Tensor, dim: number): Tensor =>
    record(
      "softmax",
      [x],
      nd.softmax(x.data, dim),
      (g, y) => [
        fused(
          () => {
            const gy = g.mul(y);
            return gy.sub(y.mul(gy.sum(dim, true)));
          },
          () => nd.softmaxBackward(g.data, y.data, dim),
        ),
      ],
      { savesOutput: true },
    ),
);

/**
 * Softmax over the last dim under a causal mask: row i of each (L, S) matrix attends to columns
 * j ≤ i (torch's `is_causal`), the rest get weight 0. Same values as filling −∞ above the diagonal
 * and taking `softmax(-1)`, in one kernel; the gradient is softmax's (it is 0 where the weight is).
 *
 * @example
 * ```ts
 * causalSoftmax(scores); // scores (B, H, L, S)
 * ```
 */
export const causalSoftmax = primitive(
  "causalSoftmax",
  (x: Tensor): Tensor =>
    record(
      "causalSoftmax",
      [checkTensor("causalSoftmax", "input", x)],
      nd.causalSoftmax(x.data),
      (g, y) => [
        fused(
          () => {
            const gy = g.mul(y);
            return gy.sub(y.mul(gy.sum(-1, true)));
          },
          () => nd.softmaxBackward(g.data, y.data, -1),
        ),
      ],
      { savesOutput: true },
    ),
);

export const logSoftmax = primitive(
  "logSoftmax",
  (x: Tensor, dim: number): Tensor =>
    record(
      "logSoftmax",
      [x],
      nd.logSoftmax(x.data, dim),
      (g, y) => [
        fused(
          () => g.sub(y.exp().mul(g.sum(dim, true))),
          () => nd.logSoftmaxBackward(g.data, y.data, dim),
        ),
      ],
      { savesOutput: true },
    ),
);
