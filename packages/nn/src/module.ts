import { noGrad, Tensor } from "@typegrad/autograd";
import * as nd from "@typegrad/tensor";
import { ArgumentError, type DType, describeValue, fmtShape, type NDArray, ShapeError } from "@typegrad/tensor";
import { Parameter } from "./parameter.js";

/**
 * Thrown by `loadStateDict` with every missing and unexpected key named. An `ArgumentError`
 * (so a `TypeError`), like every other bad-input error; size mismatches throw `ShapeError`.
 */
export class StateDictError extends ArgumentError {
  override name = "StateDictError";
}

/**
 * Base class of layers and models. Parameters and child modules held in fields — directly, in arrays
 * or in Maps — are found automatically and named by their path (`blocks.0.attn.qProj.weight`).
 * Fields whose names start with `_` are private and skipped.
 *
 * @example
 * ```ts
 * class MLP extends Module {
 *   fc1 = new Linear(2, 16); fc2 = new Linear(16, 1);
 *   forward(x: Tensor) { return this.fc2.forward(this.fc1.forward(x).tanh()); }
 * }
 * new MLP().namedParameters().map(([n]) => n); // ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
 * ```
 */
export abstract class Module {
  /** True in training mode (dropout active); set by `train()`/`eval()`. */
  training = true;

  abstract forward(...args: never[]): unknown;

  /** Direct parameters and children, in field order, with their local names. */
  protected entries(): [string, Parameter | Module][] {
    const out: [string, Parameter | Module][] = [];
    const visit = (name: string, value: unknown): void => {
      if (value instanceof Parameter || value instanceof Module) out.push([name, value]);
      else if (Array.isArray(value)) value.forEach((v, i) => visit(`${name}.${i}`, v));
      else if (value instanceof Map) for (const [k, v] of value) visit(`${name}.${String(k)}`, v);
    };
    for (const [key, value] of Object.entries(this)) {
      if (key.startsWith("_") || key === "training") continue;
      visit(key, value);
    }
    return out;
  }

  /** Child modules with their (dotted, for arrays and maps) names. */
  namedChildren(): [string, Module][] {
    return this.entries().filter((e): e is [string, Module] => e[1] instanceof Module);
  }

  /** Direct child modules. */
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and every descendant, with dotted names ("" for this one). */
  namedModules(prefix = ""): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.namedChildren())
      out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  /**
   * Every parameter with its dotted name. A parameter shared by two modules (tied weights) appears
   * once unless `removeDuplicate` is false (stateDict lists it under every name, like torch).
   */
  namedParameters(prefix = "", opts: { removeDuplicate?: boolean } = {}): [string, Parameter][] {
    const dedupe = opts.removeDuplicate ?? true;
    const seen = new Set<Parameter>();
    const out: [string, Parameter][] = [];
    const walk = (m: Module, pre: string): void => {
      for (const [name, v] of m.entries()) {
        const full = pre ? `${pre}.${name}` : name;
        if (v instanceof Parameter) {
          if (!dedupe || !seen.has(v)) {
            seen.add(v);
            out.push([full, v]);
          }
        } else walk(v, full);
      }
    };
    walk(this, prefix);
    return out;
  }

  /** Every parameter (what an optimizer takes). */
  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Sets training mode here and in every descendant. */
  train(mode = true): this {
    if (typeof mode !== "boolean")
      throw new ArgumentError(`Module.train: mode must be a boolean, got ${describeValue(mode)}`);
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Evaluation mode (dropout off). */
  eval(): this {
    return this.train(false);
  }

  /** Clears every parameter's gradient (to null by default, like torch's `set_to_none=True`). */
  zeroGrad(opts: { setToNone?: boolean } = {}): void {
    if (
      opts === null ||
      typeof opts !== "object" ||
      (opts.setToNone !== undefined && typeof opts.setToNone !== "boolean")
    ) {
      throw new ArgumentError(`Module.zeroGrad: expected { setToNone?: boolean }, got ${describeValue(opts)}`);
    }
    for (const p of this.parameters()) {
      if (opts.setToNone === false && p.grad) p.grad = new Tensor(nd.zerosLike(p.grad.data));
      else p.grad = null;
    }
  }

  /** Converts every parameter to `dtype` in place (same Parameter objects). */
  to(dtype: DType): this {
    if (dtype !== "float32" && dtype !== "float64")
      throw new ArgumentError(`Module.to: expected float32 or float64, got ${describeValue(dtype)}`);
    for (const p of this.parameters()) {
      if (p.dtype !== dtype) {
        p.setData(p.data.astype(dtype));
        if (p.grad) p.grad = p.grad.to(dtype);
      }
    }
    return this;
  }

  /** Copies of every parameter's values by dotted name. */
  stateDict(): Record<string, NDArray> {
    const out: Record<string, NDArray> = {};
    for (const [name, p] of this.namedParameters("", { removeDuplicate: false })) out[name] = p.data.clone();
    return out;
  }

  /**
   * Loads values by name, casting into each parameter's dtype. With `strict` (default) every key must
   * match; all problems are reported together and nothing is loaded unless everything checks out.
   */
  loadStateDict(
    sd: Record<string, NDArray | Tensor>,
    opts: { strict?: boolean } = {},
  ): { missing: string[]; unexpected: string[] } {
    if (sd === null || typeof sd !== "object" || Array.isArray(sd) || sd instanceof Tensor || sd instanceof nd.NDArray)
      throw new ArgumentError(`loadStateDict: expected an object of name -> NDArray, got ${describeValue(sd)}`);
    if (opts === null || typeof opts !== "object" || (opts.strict !== undefined && typeof opts.strict !== "boolean")) {
      throw new ArgumentError(`loadStateDict: expected options { strict?: boolean }, got ${describeValue(opts)}`);
    }
    const strict = opts.strict ?? true;
    const params = new Map(this.namedParameters("", { removeDuplicate: false }));
    const missing = [...params.keys()].filter((k) => !(k in sd));
    const unexpected = Object.keys(sd).filter((k) => !params.has(k));
    const mismatched: string[] = [];
    const wrongKind: string[] = [];
    const updates: [Parameter, NDArray][] = [];
    for (const [name, p] of params) {
      const v = sd[name];
      if (v === undefined) continue;
      const arr = v instanceof Tensor ? v.data : v;
      if (!(arr instanceof nd.NDArray)) {
        wrongKind.push(`${name}: expected an NDArray or Tensor, got ${describeValue(arr)}`);
        continue;
      }
      if (!nd.shapesEqual(arr.shape, p.shape)) {
        mismatched.push(`${name}: shape ${fmtShape(arr.shape)} in the state dict, ${fmtShape(p.shape)} in the model`);
        continue;
      }
      updates.push([p, arr]);
    }
    const problems: string[] = [];
    if (mismatched.length) problems.push(`size mismatch: ${mismatched.join("; ")}`);
    if (wrongKind.length) problems.push(`wrong value type: ${wrongKind.join("; ")}`);
    if (strict && missing.length) problems.push(`missing keys: ${missing.join(", ")}`);
    if (strict && unexpected.length) problems.push(`unexpected keys: ${unexpected.join(", ")}`);
    if (problems.length) {
      const Err = mismatched.length ? ShapeError : StateDictError;
      throw new Err(`loadStateDict: ${problems.join(" | ")}`);
    }
    noGrad(() => {
      for (const [p, arr] of updates) p.setData(arr.astype(p.dtype));
    });
    return { missing, unexpected };
  }

  /** Number of scalar parameters. */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }
}
