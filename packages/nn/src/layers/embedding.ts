import { Tensor } from "@typegrad/autograd";
import * as nd from "@typegrad/tensor";
import {
  ArgumentError,
  type DType,
  DTypeError,
  describeValue,
  fmtShape,
  IndexError,
  type NDArray,
} from "@typegrad/tensor";
import * as init from "../init.js";
import { Module } from "../module.js";
import { Parameter } from "../parameter.js";
import { checkFloatDType, checkLayerOptions, checkSize } from "./linear.js";

/**
 * A lookup table of `num` vectors of size `dim`, initialised N(0, 1). Rows at `paddingIdx` start at
 * zero and receive no gradient.
 *
 * @example
 * ```ts
 * const emb = new Embedding(65, 32);
 * emb.forward(tensor([[1, 2, 3]], { dtype: "int32" })).shape; // [1, 3, 32]
 * ```
 */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | undefined;
  weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, opts: { paddingIdx?: number; dtype?: DType } = {}) {
    super();
    checkLayerOptions("Embedding", opts);
    const dtype = checkFloatDType("Embedding", opts.dtype);
    this.numEmbeddings = checkSize("Embedding", "numEmbeddings", numEmbeddings);
    this.embeddingDim = checkSize("Embedding", "embeddingDim", embeddingDim);
    let pad = opts.paddingIdx;
    if (pad !== undefined) {
      if (!Number.isInteger(pad) || pad < -numEmbeddings || pad >= numEmbeddings) {
        throw new IndexError(`Embedding: paddingIdx ${pad} must be within [-${numEmbeddings}, ${numEmbeddings})`);
      }
      if (pad < 0) pad += numEmbeddings;
    }
    this.paddingIdx = pad;
    this.weight = new Parameter(nd.zeros([numEmbeddings, embeddingDim], { dtype }));
    init.normal(this.weight);
    if (pad !== undefined) this.weight.data.data.fill(0, pad * embeddingDim, (pad + 1) * embeddingDim);
  }

  forward(ids: Tensor | NDArray): Tensor {
    const idx = ids instanceof Tensor ? ids.data : ids;
    if (!(idx instanceof nd.NDArray)) {
      throw new ArgumentError(`Embedding: indices must be an int32 Tensor or NDArray, got ${describeValue(ids)}`);
    }
    if (idx.dtype !== "int32") {
      throw new DTypeError(
        `Embedding: indices must be an int32 tensor, got ${idx.dtype} of shape ${fmtShape(idx.shape)}`,
      );
    }
    const flat = idx.reshape([-1]);
    const values = flat.toTypedArray();
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      if (v < 0 || v >= this.numEmbeddings) {
        throw new IndexError(
          `Embedding: index ${v} is out of range for ${this.numEmbeddings} embeddings (indices shape ${fmtShape(idx.shape)})`,
        );
      }
    }
    let rows = this.weight.indexSelect(0, flat);
    const pad = this.paddingIdx;
    if (pad !== undefined && rows.requiresGrad && values.includes(pad)) {
      // Padding positions read the row as a constant, so the padding row gets no gradient (torch's rule).
      const notPad = nd.ne(flat, pad).reshape([-1, 1]);
      rows = rows.where(notPad, new Tensor(this.weight.data.narrow(0, pad, 1)));
    }
    return rows.reshape([...idx.shape, this.embeddingDim]);
  }
}
