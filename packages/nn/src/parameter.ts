import { Tensor } from "@typegrad/autograd";
import * as nd from "@typegrad/tensor";
import {
  ArgumentError,
  type DType,
  DTypeError,
  describeValue,
  fmtShape,
  type NDArray,
  type NestedArray,
} from "@typegrad/tensor";

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
    if (opts === null || typeof opts !== "object") {
      throw new ArgumentError(
        `Parameter: options must be an object { dtype?, requiresGrad? }, got ${describeValue(opts)}`,
      );
    }
    if (opts.dtype !== undefined && !nd.DTYPES.includes(opts.dtype)) {
      throw new DTypeError(`Parameter: unknown dtype ${describeValue(opts.dtype)}; expected float32 or float64`);
    }
    let values: NDArray;
    if (data instanceof Tensor) values = data.data;
    else if (data instanceof nd.NDArray) values = data;
    else if (Array.isArray(data) || typeof data === "number")
      values = nd.array(data, { dtype: opts.dtype ?? "float32" });
    else throw new ArgumentError(`Parameter: expected a Tensor, NDArray or nested array, got ${describeValue(data)}`);
    if (opts.dtype && values.dtype !== opts.dtype) values = values.astype(opts.dtype);
    const requiresGrad = opts.requiresGrad ?? true;
    if (typeof requiresGrad !== "boolean") {
      throw new ArgumentError(`Parameter: requiresGrad must be a boolean, got ${describeValue(requiresGrad)}`);
    }
    if (requiresGrad && !nd.isFloat(values.dtype)) {
      throw new DTypeError(
        `Parameter: a parameter that requires grad must be float32 or float64, got ${values.dtype} of shape ${fmtShape(values.shape)}`,
      );
    }
    super(values, { requiresGrad });
  }
}
