import { Tensor } from "@typegrad/autograd";
import * as nd from "@typegrad/tensor";
import { ArgumentError, type DType, type NDArray, type NestedArray } from "@typegrad/tensor";

/**
 * A leaf Tensor that a Module owns and an optimizer updates (`requiresGrad` defaults to true).
 *
 * @example
 * ```ts
 * const w = new Parameter(nd.randn([3, 2]));
 * w.requiresGrad; // true
 * ```
 */
export class Parameter extends Tensor {
  constructor(data: Tensor | NDArray | NestedArray, opts: { dtype?: DType; requiresGrad?: boolean } = {}) {
    let values: NDArray;
    if (data instanceof Tensor) values = data.data;
    else if (data instanceof nd.NDArray) values = data;
    else if (Array.isArray(data) || typeof data === "number")
      values = nd.array(data, { dtype: opts.dtype ?? "float32" });
    else throw new ArgumentError(`Parameter: expected a Tensor, NDArray or nested array, got ${typeof data}`);
    if (opts.dtype && values.dtype !== opts.dtype) values = values.astype(opts.dtype);
    super(values, { requiresGrad: opts.requiresGrad ?? true });
  }
}
