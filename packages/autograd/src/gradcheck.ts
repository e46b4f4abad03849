import * as nd from "@typegrad/tensor";
import { ArgumentError, describeValue, fmtShape } from "@typegrad/tensor";
import { backward } from "./engine.js";
import { enableGrad, noGrad } from "./grad-mode.js";
import { Tensor } from "./tensor.js";

export interface GradcheckOptions {
  /** Finite-difference step. */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Throw on mismatch (default) or return false. */
  raiseException?: boolean;
}

/** Thrown by gradcheck with the worst mismatching entry. */
export class GradcheckError extends Error {
  override name = "GradcheckError";
}

/** Checks gradcheck's function, inputs array and tolerances (eps > 0, atol and rtol >= 0, all finite). */
function checkArgs(op: string, fn: unknown, inputs: unknown, opts: GradcheckOptions): void {
  if (typeof fn !== "function") throw new ArgumentError(`${op}: fn must be a function, got ${describeValue(fn)}`);
  if (!Array.isArray(inputs))
    throw new ArgumentError(`${op}: inputs must be an array of Tensors, got ${describeValue(inputs)}`);
  if (opts === null || typeof opts !== "object") {
    throw new ArgumentError(`${op}: options must be an object { eps?, atol?, rtol? }, got ${describeValue(opts)}`);
  }
  for (const [name, v, positive] of [
    ["eps", opts.eps, true],
    ["atol", opts.atol, false],
    ["rtol", opts.rtol, false],
  ] as const) {
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || (positive && v === 0)) {
      throw new ArgumentError(
        `${op}: ${name} must be a finite number ${positive ? "> 0" : ">= 0"}, got ${describeValue(v)}`,
      );
    }
  }
}

/**
 * Compares analytic gradients (backward) with central finite differences, in float64. `fn` may return
 * any shape: every output element is checked through a random projection and one-hot probes.
 * Throws naming the input, the element, both values and the error when they disagree.
 *
 * @example
 * ```ts
 * const x = randn([3, 4], { dtype: "float64", requiresGrad: true });
 * gradcheck((x) => x.tanh().sum(), [x]); // true
 * ```
 */
export function gradcheck(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  opts: GradcheckOptions = {},
): boolean {
  checkArgs("gradcheck", fn, inputs, opts);
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-5;
  const rtol = opts.rtol ?? 1e-3;
  for (const [i, t] of inputs.entries()) {
    if (!(t instanceof Tensor)) throw new ArgumentError(`gradcheck: input ${i} is not a Tensor`);
    if (t.requiresGrad && t.dtype !== "float64") {
      throw new ArgumentError(
        `gradcheck: input ${i} is ${t.dtype}; use float64 inputs (finite differences need the precision)`,
      );
    }
  }
  const diffInputs = inputs.filter((t) => t.requiresGrad);
  if (diffInputs.length === 0) throw new ArgumentError("gradcheck: no input requires grad");

  const out0 = fn(...inputs);
  if (!(out0 instanceof Tensor)) throw new ArgumentError("gradcheck: fn must return a Tensor");
  // Project the output on a fixed random vector so one backward checks every output element.
  // (A scalar output is used as is, so a mismatch reports the real derivative values.)
  const proj =
    out0.size === 1
      ? nd.ones(out0.shape, { dtype: "float64" })
      : nd.randn(out0.shape, { dtype: "float64", rng: new nd.Rng(1234) });
  const scalar = (out: Tensor): number => nd.sum(nd.mul(out.data.astype("float64"), proj)).item();

  // An output cut off from the inputs has a zero analytic gradient (torch's rule); the numeric one must agree.
  const projected = fn(...inputs)
    .mul(new Tensor(proj))
    .sum();
  const analytic = projected.requiresGrad ? (backward(projected, undefined, { inputs: diffInputs }) ?? []) : [];

  for (const [k, t] of diffInputs.entries()) {
    const ga = analytic[k];
    const gaData = ga ? ga.data.astype("float64").toTypedArray() : new Float64Array(t.size);
    // Perturb each storage slot in place through the tensor's strides. Elements aliasing one slot
    // (an expanded input, stride 0) move together, so they are compared by the sum of their gradients.
    const data = t.data;
    const offsets = nd.stridedOffsets(data.shape, data.strides, data.offset);
    const slots = new Map<number, number[]>();
    for (let e = 0; e < offsets.length; e++) {
      const p = offsets[e] as number;
      const elems = slots.get(p);
      if (elems) elems.push(e);
      else slots.set(p, [e]);
    }
    let worst = { err: 0, index: -1, numeric: 0, analytic: 0 };
    noGrad(() => {
      for (const [p, elems] of slots) {
        const orig = data.data[p] as number;
        data.data[p] = orig + eps;
        const plus = scalar(fn(...inputs));
        data.data[p] = orig - eps;
        const minus = scalar(fn(...inputs));
        data.data[p] = orig;
        const numeric = (plus - minus) / (2 * eps);
        let a = 0;
        for (const e of elems) a += gaData[e] as number;
        const err = Math.abs(a - numeric);
        const tol = atol + rtol * Math.abs(numeric);
        if (!(err <= tol) && (worst.index < 0 || err - tol > worst.err))
          worst = { err: err - tol, index: elems[0] as number, numeric, analytic: a };
      }
    });
    if (worst.index >= 0) {
      const msg = `gradcheck: gradient mismatch for input ${inputs.indexOf(t)} (shape ${fmtShape(t.shape)}) at flat index ${worst.index}: analytic ${worst.analytic}, numeric ${worst.numeric}, |diff| ${Math.abs(worst.analytic - worst.numeric)} (atol ${atol}, rtol ${rtol})`;
      if (opts.raiseException === false) return false;
      throw new GradcheckError(msg);
    }
  }
  return true;
}

/**
 * Second-order check: gradcheck of the gradient itself (`createGraph` backward), like torch's gradgradcheck.
 *
 * @example
 * ```ts
 * gradgradcheck((x) => x.pow(3).sum(), [x]); // true
 * ```
 */
export function gradgradcheck(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  opts: GradcheckOptions = {},
): boolean {
  checkArgs("gradgradcheck", fn, inputs, opts);
  const diffInputs = inputs.filter((t) => t.requiresGrad);
  // Finite differences run under noGrad; the inner backward needs a graph regardless.
  const gradFn = (...xs: Tensor[]): Tensor => enableGrad(() => firstOrder(xs));
  const firstOrder = (xs: Tensor[]): Tensor => {
    const out = fn(...xs);
    const proj = new Tensor(nd.randn(out.shape, { dtype: "float64", rng: new nd.Rng(99) }));
    const grads =
      backward(out.mul(proj).sum(), undefined, {
        inputs: xs.filter((t) => diffInputs.includes(t)),
        createGraph: true,
      }) ?? [];
    let total: Tensor | null = null;
    for (const g of grads) if (g) total = total ? total.add(g.mul(g).sum()) : g.mul(g).sum();
    return total ?? new Tensor(nd.zeros([], { dtype: "float64" }));
  };
  return gradcheck(gradFn, inputs, opts);
}
