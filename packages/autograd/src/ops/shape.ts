import * as nd from "@typegrad/tensor";
import { fmtShape, type ShapeArgs, shapeArgs } from "@typegrad/tensor";
import { recordBuiltin as record } from "../node.js";
import { Tensor } from "../tensor.js";
import { primitive, reduceTo } from "./common.js";

/** Records a movement op whose result shares the input's storage (and so its version counter). */
function viewOf(name: string, x: Tensor, out: nd.NDArray, backward: (g: Tensor) => Tensor): Tensor {
  const t = record(name, [x], out, (g) => [backward(g)]);
  return out.data === x.data.data ? t.shareVersion(x) : t;
}

export const reshape = primitive(
  "reshape",
  (x: Tensor, shape: ShapeArgs): Tensor =>
    viewOf("reshape", x, x.data.reshape(shapeArgs(shape)), (g) => g.reshape(x.shape)),
);

export const view = primitive(
  "view",
  (x: Tensor, shape: ShapeArgs): Tensor => viewOf("view", x, x.data.view(shapeArgs(shape)), (g) => g.reshape(x.shape)),
);

export const transpose = primitive(
  "transpose",
  (x: Tensor, dim0: number, dim1: number): Tensor =>
    viewOf("transpose", x, x.data.transpose(dim0, dim1), (g) => g.transpose(dim0, dim1)),
);

export const permute = primitive("permute", (x: Tensor, dims: ShapeArgs): Tensor => {
  const perm = shapeArgs(dims).map((d) => nd.normalizeDim("permute", d, x.ndim));
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => {
    inverse[p] = i;
  });
  return viewOf("permute", x, x.data.permute(perm), (g) => g.permute(inverse));
});

export const expand = primitive(
  "expand",
  (x: Tensor, shape: ShapeArgs): Tensor =>
    viewOf("expand", x, x.data.expand(shapeArgs(shape)), (g) => reduceTo(g, x.shape)),
);

export const squeeze = primitive(
  "squeeze",
  (x: Tensor, dim?: number | readonly number[]): Tensor =>
    viewOf("squeeze", x, x.data.squeeze(dim), (g) => g.reshape(x.shape)),
);

export const unsqueeze = primitive(
  "unsqueeze",
  (x: Tensor, dim: number): Tensor => viewOf("unsqueeze", x, x.data.unsqueeze(dim), (g) => g.reshape(x.shape)),
);

export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  const out = x.data.flatten(startDim, endDim);
  return nd.shapesEqual(out.shape, x.shape) ? x : reshape(x, [out.shape.slice()]);
}

export const narrow = primitive("narrow", (x: Tensor, dim: number, start: number, length: number): Tensor => {
  const out = x.data.narrow(dim, start, length);
  const d = nd.normalizeDim("narrow", dim, x.ndim);
  const s = start < 0 ? start + (x.shape[d] as number) : start;
  return viewOf("narrow", x, out, (g) => {
    // Pad the gradient with zeros back to the input's extent along `dim`.
    const before = x.shape.map((v, i) => (i === d ? s : v));
    const after = x.shape.map((v, i) => (i === d ? (x.shape[d] as number) - s - length : v));
    const parts: Tensor[] = [];
    if (s > 0) parts.push(new Tensor(nd.zeros(before, { dtype: g.dtype })));
    parts.push(g);
    if ((after[d] as number) > 0) parts.push(new Tensor(nd.zeros(after, { dtype: g.dtype })));
    return parts.length === 1 ? g : cat(parts, d);
  });
});

/** A contiguous copy (`clone` forces the copy even when already contiguous). */
export const contiguous = primitive(
  "contiguous",
  (x: Tensor, force = false): Tensor =>
    record("contiguous", [x], force ? x.data.clone() : x.data.contiguous(), (g) => [g]),
);

/**
 * Joins tensors along an existing dim; each gets back its slice of the gradient.
 *
 * @example
 * ```ts
 * cat([a, b], 0); // shapes [2, 3] and [1, 3] -> [3, 3]
 * ```
 */
export const cat = primitive("cat", (tensors: readonly Tensor[], dim = 0): Tensor => {
  if (!Array.isArray(tensors) || tensors.length === 0)
    throw new nd.ArgumentError(`cat: expected a non-empty array of Tensors, got ${nd.describeValue(tensors)}`);
  tensors.forEach((t, i) => {
    if (!(t instanceof Tensor))
      throw new nd.ArgumentError(`cat: tensors[${i}] must be a Tensor, got ${nd.describeValue(t)}`);
  });
  const out = nd.cat(
    tensors.map((t) => t.data),
    dim,
  );
  const d = nd.normalizeDim("cat", dim, tensors[0]!.ndim);
  return record("cat", tensors, out, (g) => {
    let start = 0;
    return tensors.map((t) => {
      const len = t.shape[d] as number;
      const piece = t.requiresGrad ? g.narrow(d, start, len) : null;
      start += len;
      return piece;
    });
  });
});

/** Stacks same-shaped tensors along a new dim. @example `stack([a, b], 0); // [2, ...a.shape]` */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0)
    throw new nd.ArgumentError(`stack: expected a non-empty array of Tensors, got ${nd.describeValue(tensors)}`);
  const first = tensors[0]!;
  for (const [i, t] of tensors.entries()) {
    if (!(t instanceof Tensor))
      throw new nd.ArgumentError(`stack: tensors[${i}] must be a Tensor, got ${nd.describeValue(t)}`);
    if (!nd.shapesEqual(t.shape, first.shape)) {
      throw new nd.ShapeError(
        `stack: all tensors must have the same shape, got ${tensors.map((x) => fmtShape(x.shape)).join(", ")}`,
      );
    }
  }
  const d = nd.normalizeDim("stack", dim, first.ndim + 1);
  return cat(
    tensors.map((t) => t.unsqueeze(d)),
    d,
  );
}
