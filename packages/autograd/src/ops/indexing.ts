import * as nd from "@typegrad/tensor";
import { ArgumentError, DTypeError, describeValue, fmtShape, type NDArray } from "@typegrad/tensor";
import { recordBuiltin as record } from "../node.js";
import { Tensor } from "../tensor.js";
import { checkTensor, primitive } from "./common.js";
import { cat } from "./shape.js";

function indexArray(op: string, index: Tensor | NDArray): NDArray {
  const data = index instanceof Tensor ? index.data : index;
  if (!(data instanceof nd.NDArray)) {
    throw new ArgumentError(`${op}: index must be an int32 Tensor or NDArray, got ${describeValue(data)}`);
  }
  if (data.dtype !== "int32")
    throw new DTypeError(`${op}: index must be int32, got ${data.dtype} of shape ${fmtShape(data.shape)}`);
  return data;
}

export const gather = primitive("gather", (x: Tensor, dim: number, index: Tensor | NDArray): Tensor => {
  checkTensor("gather", "input", x);
  const idx = indexArray("gather", index);
  return record("gather", [x], nd.gather(x.data, dim, idx), (g) => [
    scatterAdd(new Tensor(nd.zerosLike(x.data, { dtype: g.dtype })), dim, idx, g),
  ]);
});

/** `x` with `src` added at `index` along `dim`; differentiable in both `x` and `src`. */
export const scatterAdd = primitive(
  "scatterAdd",
  (x: Tensor, dim: number, index: Tensor | NDArray, src: Tensor): Tensor => {
    checkTensor("scatterAdd", "input", x);
    const idx = indexArray("scatterAdd", index);
    checkTensor("scatterAdd", "src", src);
    return record("scatterAdd", [x, src], nd.scatterAdd(x.data, dim, idx, src.data), (g) => [
      g,
      src.requiresGrad ? padTo(gather(g, dim, idx), src.shape) : null,
    ]);
  },
);

/** Zero-pads `t` up to `shape` (scatter may use only part of src). */
function padTo(t: Tensor, shape: readonly number[]): Tensor {
  if (nd.shapesEqual(t.shape, shape)) return t;
  let out = t;
  for (let d = 0; d < shape.length; d++) {
    const missing = (shape[d] as number) - (out.shape[d] as number);
    if (missing > 0) {
      const padShape = out.shape.map((v, i) => (i === d ? missing : v));
      out = cat([out, new Tensor(nd.zeros(padShape, { dtype: out.dtype }))], d);
    }
  }
  return out;
}

export const indexSelect = primitive("indexSelect", (x: Tensor, dim: number, index: Tensor | NDArray): Tensor => {
  checkTensor("indexSelect", "input", x);
  const idx = indexArray("indexSelect", index);
  return record("indexSelect", [x], nd.indexSelect(x.data, dim, idx), (g) => [
    indexAdd(new Tensor(nd.zerosLike(x.data, { dtype: g.dtype })), dim, idx, g),
  ]);
});

/** `x` with rows of `src` added at `index` along `dim` (indexSelect's adjoint); differentiable. */
export const indexAdd = primitive(
  "indexAdd",
  (x: Tensor, dim: number, index: Tensor | NDArray, src: Tensor): Tensor => {
    checkTensor("indexAdd", "input", x);
    const idx = indexArray("indexAdd", index);
    checkTensor("indexAdd", "src", src);
    return record("indexAdd", [x, src], nd.indexAdd(x.data, dim, idx, src.data), (g) => [
      g,
      src.requiresGrad ? indexSelect(g, dim, idx) : null,
    ]);
  },
);
