import * as nd from "@typegrad/tensor";
import { ArgumentError, describeValue, fmtShape, IndexError } from "@typegrad/tensor";
import { backward } from "./engine.js";
import { Tensor } from "./tensor.js";

export interface GradOptions {
  /** Indices of the arguments to differentiate (default: all). */
  argnums?: number | readonly number[];
  /** Make the returned gradients differentiable (for higher-order derivatives). */
  createGraph?: boolean;
}

/** How many functional gradients are evaluating their function right now. */
let nesting = 0;

function prepare(
  op: string,
  args: readonly Tensor[],
  argnums: GradOptions["argnums"],
): { inputs: Tensor[]; picks: number[] } {
  if (argnums !== undefined && typeof argnums !== "number" && !Array.isArray(argnums)) {
    throw new ArgumentError(`${op}: argnums must be an integer or an array of integers, got ${describeValue(argnums)}`);
  }
  const picks = argnums === undefined ? args.map((_, i) => i) : typeof argnums === "number" ? [argnums] : [...argnums];
  for (const i of picks) {
    if (!Number.isInteger(i) || i < 0 || i >= args.length) {
      throw new IndexError(
        `${op}: argnums entry ${describeValue(i)} is out of range for ${args.length} argument${args.length === 1 ? "" : "s"} (expected 0..${args.length - 1})`,
      );
    }
  }
  const inputs = args.map((a, i) => {
    if (!(a instanceof Tensor))
      throw new ArgumentError(`${op}: argument ${i} must be a Tensor, got ${describeValue(a)}`);
    if (picks.includes(i) && !nd.isFloat(a.dtype)) {
      throw new nd.DTypeError(
        `${op}: argument ${i} is ${a.dtype} of shape ${fmtShape(a.shape)}; only floating point tensors can be differentiated`,
      );
    }
    // Differentiate through a fresh leaf that shares the values, leaving the caller's tensor untouched.
    if (!picks.includes(i) || a.requiresGrad) return a;
    return new Tensor(a.data, { requiresGrad: true });
  });
  return { inputs, picks };
}

function scalarOf(op: string, out: unknown): Tensor {
  if (!(out instanceof Tensor)) throw new ArgumentError(`${op}: f must return a Tensor, got ${describeValue(out)}`);
  if (out.size !== 1) throw new nd.ShapeError(`${op}: f must return a scalar, got shape ${fmtShape(out.shape)}`);
  return out;
}

/**
 * JAX-style functional gradient: `valueAndGrad(f)(...args)` returns `[f(...args), grads]`, one
 * gradient per argument (zeros when it does not affect the output).
 *
 * @example
 * ```ts
 * const [value, [dx]] = valueAndGrad((x) => x.mul(x).sum())(tensor([1, 2]));
 * dx.toArray(); // [2, 4]
 * ```
 */
export function valueAndGrad(f: (...args: Tensor[]) => Tensor, opts: GradOptions = {}, op = "valueAndGrad") {
  if (typeof f !== "function") throw new ArgumentError(`${op}: f must be a function, got ${describeValue(f)}`);
  if (opts === null || typeof opts !== "object") {
    throw new ArgumentError(`${op}: options must be an object { argnums?, createGraph? }, got ${describeValue(opts)}`);
  }
  return (...args: Tensor[]): [Tensor, Tensor[]] => {
    const { inputs, picks } = prepare(op, args, opts.argnums);
    // Inside an outer grad(), this gradient must itself be differentiable (grad(grad(f)) works like JAX).
    const createGraph = opts.createGraph ?? nesting > 0;
    nesting++;
    let out: Tensor;
    try {
      out = scalarOf(op, f(...inputs));
    } finally {
      nesting--;
    }
    const wanted = picks.map((i) => inputs[i]!);
    const grads = out.requiresGrad
      ? (backward(out, undefined, { inputs: wanted, createGraph }) ?? [])
      : wanted.map(() => null);
    return [out, wanted.map((t, k) => grads[k] ?? new Tensor(nd.zeros(t.shape, { dtype: t.dtype })))];
  };
}

/**
 * Functional gradients, three ways:
 * - `grad(f)` / `grad(f, { argnums })`: a function of the same arguments returning their gradients (JAX);
 * - `grad(f, inputs)`: the gradients of `f` at `inputs` right away;
 * - `grad(output, inputs, { gradOutputs, createGraph, retainGraph })`: torch.autograd.grad.
 *
 * @example
 * ```ts
 * const df = grad((x) => x.pow(3).sum());
 * df(tensor([2]))[0].toArray(); // [12]
 * grad(y, [x]); // dy/dx without touching x.grad
 * ```
 */
export function grad(f: (...args: Tensor[]) => Tensor, opts?: GradOptions): (...args: Tensor[]) => Tensor[];
export function grad(f: (...args: Tensor[]) => Tensor, inputs: readonly Tensor[], opts?: GradOptions): Tensor[];
export function grad(
  output: Tensor,
  inputs: readonly Tensor[],
  opts?: { gradOutputs?: Tensor; createGraph?: boolean; retainGraph?: boolean },
): (Tensor | null)[];
export function grad(
  f: ((...args: Tensor[]) => Tensor) | Tensor,
  second?: GradOptions | readonly Tensor[],
  third?: GradOptions & { gradOutputs?: Tensor; retainGraph?: boolean },
): unknown {
  if (f instanceof Tensor) {
    if (!Array.isArray(second)) {
      throw new ArgumentError(
        `grad: grad(output, inputs) needs an array of input Tensors, got ${describeValue(second)}`,
      );
    }
    second.forEach((t, i) => {
      if (!(t instanceof Tensor))
        throw new ArgumentError(`grad: inputs[${i}] must be a Tensor, got ${describeValue(t)}`);
    });
    const o = third ?? {};
    return backward(f, o.gradOutputs, {
      inputs: second as Tensor[],
      createGraph: o.createGraph ?? false,
      retainGraph: o.retainGraph ?? o.createGraph ?? false,
    });
  }
  if (typeof f !== "function") {
    throw new ArgumentError(`grad: expected a function or an output Tensor, got ${describeValue(f)}`);
  }
  if (Array.isArray(second)) return valueAndGrad(f, third ?? {}, "grad")(...(second as Tensor[]))[1];
  const vg = valueAndGrad(f, (second as GradOptions | undefined) ?? {}, "grad");
  return (...args: Tensor[]): Tensor[] => vg(...args)[1];
}
