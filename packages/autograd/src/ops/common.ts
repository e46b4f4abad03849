import * as nd from "@typegrad/tensor";
import { ArgumentError, describeValue, type NDArray } from "@typegrad/tensor";
import { isGradEnabled } from "../grad-mode.js";
import { primitiveOps, recordBuiltin as record } from "../node.js";
import { Tensor, type TensorLike } from "../tensor.js";

/** Registers a primitive op's name (the gradcheck table must cover every registered op) and returns it. */
export function primitive<F>(name: string, fn: F): F {
  primitiveOps.add(name);
  return fn;
}

/** A number or NDArray as a constant tensor; numbers take the dtype torch would give them next to `like`. */
export function lift(x: TensorLike | NDArray, like?: Tensor, op = "lift", name = "operand"): Tensor {
  if (x instanceof Tensor) return x;
  if (x instanceof nd.NDArray) return new Tensor(x);
  if (typeof x === "number" || typeof x === "boolean") return new Tensor(nd.asArray(x, like?.dtype));
  throw new ArgumentError(
    `${op}: ${name} must be a Tensor or a number, got ${describeValue(x)}${Array.isArray(x) ? " (wrap it with tensor())" : ""}`,
  );
}

/** Throws unless `x` is a Tensor, naming the op and the argument (and what was passed instead). */
export function checkTensor(op: string, name: string, x: unknown): Tensor {
  if (x instanceof Tensor) return x;
  const hint =
    x instanceof nd.NDArray
      ? " (wrap an NDArray with tensor(array))"
      : Array.isArray(x)
        ? " (wrap it with tensor())"
        : "";
  throw new ArgumentError(`${op}: ${name} must be a Tensor, got ${describeValue(x)}${hint}`);
}

/** Sums a broadcast gradient back to `shape` (differentiable). */
export function reduceTo(g: Tensor, shape: readonly number[]): Tensor {
  return nd.shapesEqual(g.shape, shape) ? g : sumToShape(g, shape);
}

/** The inverse of broadcasting: sum `x` down to `shape`; its gradient expands back. */
export const sumToShape = primitive("sumToShape", (x: Tensor, shape: readonly number[]): Tensor => {
  checkTensor("sumToShape", "input", x);
  return record("sumToShape", [x], nd.sumToShape(x.data, shape), (g) => [g.expand(x.shape)]);
});

/**
 * A backward rule's two forms: the composite of differentiable Tensor ops, used when backward itself
 * is recorded (createGraph), and a single fused kernel for the usual first-order pass.
 */
export function fused(composite: () => Tensor, kernel: () => NDArray): Tensor {
  return isGradEnabled() ? composite() : new Tensor(kernel());
}
