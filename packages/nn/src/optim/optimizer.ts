import { enableGrad, Tensor } from "@typegrad/autograd";
import * as nd from "@typegrad/tensor";
import {
  ArgumentError,
  DTypeError,
  describeValue,
  fmtShape,
  NDArray,
  ShapeError,
  shapesEqual,
  type TypedArray,
} from "@typegrad/tensor";

/** Options every optimizer has: the learning rate (schedulers change it per group). */
export interface OptimizerOptions {
  lr: number;
}

/**
 * One parameter group: its parameters and the options that apply to them. `lr` is the current
 * learning rate (schedulers write it); `initialLr` is set by the first scheduler attached.
 */
export type ParamGroup<O extends OptimizerOptions = OptimizerOptions> = O & {
  params: Tensor[];
  initialLr?: number;
};

/** A parameter group as passed to a constructor: parameters plus any options overriding the defaults. */
export type ParamGroupInput<O extends OptimizerOptions = OptimizerOptions> = Partial<O> & {
  params: Iterable<Tensor>;
  initialLr?: number;
};

/** What an optimizer accepts as parameters: tensors, or parameter groups. */
export type ParamsInput<O extends OptimizerOptions = OptimizerOptions> =
  | Iterable<Tensor>
  | Iterable<ParamGroupInput<O>>;

/** A per-parameter state entry: a buffer of the parameter's shape and dtype, or a number (step counts). */
export type StateValue = NDArray | number;

/** The state an optimizer keeps for one parameter (momentum buffers, moment estimates, step count). */
export type ParamState = Record<string, StateValue>;

/** A float parameter's contiguous storage, which updates write in place. */
export type FloatArray = Float32Array | Float64Array;

/**
 * A snapshot of an optimizer, like torch's: `state` is keyed by the parameter's index in the
 * order the groups list them, and each group lists its parameters by index.
 */
export interface OptimizerStateDict<O extends OptimizerOptions = OptimizerOptions> {
  state: Record<number, ParamState>;
  paramGroups: (O & { params: number[]; initialLr?: number })[];
}

const isTensorIterable = (v: unknown): v is Iterable<unknown> =>
  v !== null && typeof v === "object" && typeof (v as Iterable<unknown>)[Symbol.iterator] === "function";

/** A deep copy of option values (arrays such as `betas` are copied). */
function copyValue<T>(v: T): T {
  return (Array.isArray(v) ? v.map(copyValue) : v) as T;
}

function copyState(op: string, s: ParamState, cast?: Tensor, id?: string): ParamState {
  if (s === null || typeof s !== "object" || Array.isArray(s)) {
    throw new ArgumentError(
      `${op}: state for parameter ${id ?? "?"} must be an object of buffers, got ${describeValue(s)}`,
    );
  }
  const out: ParamState = {};
  for (const [k, v] of Object.entries(s)) {
    if (v instanceof NDArray) {
      if (cast && !shapesEqual(v.shape, cast.shape)) {
        throw new ShapeError(
          `${op}: state "${k}" of parameter ${id ?? "?"} has shape ${fmtShape(v.shape)} but its parameter has shape ${fmtShape(cast.shape)}`,
        );
      }
      if (cast && !nd.isFloat(v.dtype)) {
        throw new DTypeError(
          `${op}: state "${k}" of parameter ${id ?? "?"} must be float32 or float64, got ${v.dtype}`,
        );
      }
      out[k] = cast && v.dtype !== cast.dtype ? v.astype(cast.dtype) : v.clone();
    } else if (typeof v === "number") {
      if (cast && !Number.isFinite(v)) {
        throw new ArgumentError(`${op}: state "${k}" of parameter ${id ?? "?"} must be a finite number, got ${v}`);
      }
      out[k] = v;
    } else {
      throw new ArgumentError(
        `${op}: state "${k}" of parameter ${id ?? "?"} must be an NDArray or a number, got ${describeValue(v)}`,
      );
    }
  }
  return out;
}

/**
 * Base class of optimizers. Holds `paramGroups` (each with its own options; `lr` is what schedulers
 * change) and per-parameter `state`. `step()` updates every parameter that has a gradient in place,
 * outside the graph, and bumps its version; parameters whose `grad` is null are skipped.
 * Subclasses implement `update`, a tight loop over one parameter's contiguous values.
 *
 * @example
 * ```ts
 * const opt = new SGD(model.parameters(), { lr: 0.1 });
 * opt.zeroGrad(); loss(model).backward(); opt.step();
 * ```
 */
export abstract class Optimizer<O extends OptimizerOptions = OptimizerOptions> {
  /** The options new groups fall back to. */
  readonly defaults: Readonly<O>;
  /** Parameter groups; each one's `lr` (and other options) may be changed between steps. */
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state, created on a parameter's first update. */
  readonly state = new Map<Tensor, ParamState>();
  /** Name used in error messages ("Adam"). */
  readonly name: string;

  constructor(name: string, params: ParamsInput<O>, defaults: O) {
    this.name = name;
    this.defaults = defaults;
    this.validate(defaults);
    if (params instanceof Tensor || !isTensorIterable(params)) {
      throw new ArgumentError(
        `${name}: params should be an iterable of Tensors or of parameter groups ({ params, ...options }), got ${describe(params)}; did you mean model.parameters()?`,
      );
    }
    const items = [...(params as Iterable<unknown>)];
    if (items.length === 0) throw new ArgumentError(`${name}: got an empty parameter list`);
    if (items[0] instanceof Tensor) {
      this.addParamGroup({ params: items as Tensor[] } as unknown as ParamGroupInput<O>);
    } else {
      for (const g of items) this.addParamGroup(g as ParamGroupInput<O>);
    }
  }

  /** Checks one group's options, throwing an `ArgumentError` that names the optimizer, option and value. */
  protected abstract validate(options: O): void;

  /**
   * Updates one parameter in place. `p` is its contiguous storage, `g` its gradient's values,
   * `state` its (mutable) state entry, `group` its group's options.
   */
  protected abstract update(p: FloatArray, g: TypedArray, state: ParamState, group: ParamGroup<O>, param: Tensor): void;

  /**
   * Adds a parameter group; options it leaves out come from the defaults.
   *
   * @example
   * ```ts
   * opt.addParamGroup({ params: head.parameters(), lr: 1e-2 });
   * ```
   */
  addParamGroup(group: ParamGroupInput<O>): void {
    if (group === null || typeof group !== "object" || group instanceof Tensor || !("params" in group)) {
      throw new ArgumentError(
        `${this.name}: a parameter group must be an object { params, ...options }, got ${describe(group)}`,
      );
    }
    const raw = group.params;
    if (raw instanceof Tensor || !isTensorIterable(raw)) {
      throw new ArgumentError(
        `${this.name}: a parameter group's params must be an iterable of Tensors, got ${describe(raw)}`,
      );
    }
    const params = [...raw];
    const seen = new Set<Tensor>();
    for (const g of this.paramGroups) for (const p of g.params) seen.add(p);
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) {
        throw new ArgumentError(`${this.name}: parameter ${i} is ${describe(p)}, expected a Tensor or Parameter`);
      }
      if (!p.requiresGrad) {
        throw new ArgumentError(
          `${this.name}: parameter ${i} of shape ${fmtShape(p.shape)} does not require grad, so it cannot be optimized`,
        );
      }
      if (!p.isLeaf) {
        throw new ArgumentError(`${this.name}: parameter ${i} of shape ${fmtShape(p.shape)} is not a leaf tensor`);
      }
      if (seen.has(p)) {
        throw new ArgumentError(
          `${this.name}: parameter ${i} of shape ${fmtShape(p.shape)} appears more than once (in this group or another group)`,
        );
      }
      seen.add(p);
    });
    const merged = { ...copyValue(this.defaults) } as Record<string, unknown>;
    for (const [k, v] of Object.entries(group)) if (k !== "params") merged[k] = copyValue(v);
    merged.params = params;
    this.validate(merged as unknown as O);
    this.paramGroups.push(merged as unknown as ParamGroup<O>);
  }

  /**
   * Performs one update of every parameter that has a gradient. With `closure`, first re-evaluates
   * the loss (grad enabled) and returns its value.
   *
   * @example
   * ```ts
   * opt.zeroGrad(); lossFn().backward(); opt.step();
   * ```
   */
  step<T = undefined>(closure?: () => T): T | undefined {
    if (closure !== undefined && typeof closure !== "function") {
      throw new ArgumentError(`${this.name}.step: closure must be a function, got ${describeValue(closure)}`);
    }
    const loss = closure ? enableGrad(closure) : undefined;
    // Check everything before touching anything: a bad gradient or option leaves every parameter
    // and every state buffer as it was.
    this.paramGroups.forEach((group, gi) => {
      this.validate(group);
      group.params.forEach((param, j) => {
        const grad = param.grad as unknown;
        if (grad === null || grad === undefined) return;
        const where = `parameter ${j} of group ${gi}`;
        if (!(grad instanceof Tensor)) {
          throw new ArgumentError(
            `${this.name}.step: the gradient of ${where} must be a Tensor, got ${describeValue(grad)}`,
          );
        }
        if (!shapesEqual(grad.shape, param.shape)) {
          throw new ShapeError(
            `${this.name}.step: gradient of shape ${fmtShape(grad.shape)} does not match its parameter of shape ${fmtShape(param.shape)} (${where})`,
          );
        }
        if (grad.dtype === "bool") {
          throw new DTypeError(`${this.name}.step: the gradient of ${where} is bool; expected a float gradient`);
        }
        if (!nd.isFloat(param.dtype)) {
          throw new DTypeError(`${this.name}.step: ${where} is ${param.dtype}; only float parameters can be optimized`);
        }
      });
    });
    for (const group of this.paramGroups) {
      for (const param of group.params) {
        const grad = param.grad;
        if (grad === null || grad === undefined) continue;
        const pd = param.data;
        const contiguous = pd.isContiguous();
        const p = (contiguous ? pd.data.subarray(pd.offset, pd.offset + pd.size) : pd.clone().data) as FloatArray;
        let state = this.state.get(param);
        if (state === undefined) {
          state = {};
          this.state.set(param, state);
        }
        this.update(p, grad.data.toTypedArray(), state, group, param);
        if (!contiguous) nd.assign(pd, new NDArray(p, pd.shape));
        param.bumpVersion();
      }
    }
    return loss;
  }

  /**
   * Clears the gradients of every parameter: sets them to null (default), or zeroes them in place.
   *
   * @example
   * ```ts
   * opt.zeroGrad();                       // grads become null
   * opt.zeroGrad({ setToNone: false });   // grads become zeros
   * ```
   */
  zeroGrad(opts: { setToNone?: boolean } = {}): void {
    if (
      opts === null ||
      typeof opts !== "object" ||
      (opts.setToNone !== undefined && typeof opts.setToNone !== "boolean")
    ) {
      throw new ArgumentError(`${this.name}.zeroGrad: expected { setToNone?: boolean }, got ${describeValue(opts)}`);
    }
    const setToNone = opts.setToNone ?? true;
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (!p.grad) continue;
        if (setToNone) p.grad = null;
        else if (p.grad.gradFn) p.grad = new Tensor(nd.zerosLike(p.grad.data));
        else {
          nd.assign(p.grad.data, 0);
          p.grad.bumpVersion();
        }
      }
    }
  }

  /** A new, zeroed state buffer of `param`'s shape and dtype. */
  protected buffer(param: Tensor): NDArray {
    return nd.zeros(param.shape, { dtype: param.dtype });
  }

  /**
   * A deep copy of the optimizer's state and groups; parameters are referred to by index, in
   * group order, like torch. Later steps never change a returned snapshot.
   *
   * @example
   * ```ts
   * const sd = opt.stateDict(); // ... later: opt.loadStateDict(sd)
   * ```
   */
  stateDict(): OptimizerStateDict<O> {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((group) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(group)) if (k !== "params") out[k] = copyValue(v);
      out.params = group.params.map((p) => {
        const i = index.size;
        index.set(p, i);
        return i;
      });
      return out as unknown as O & { params: number[] };
    });
    const state: Record<number, ParamState> = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i !== undefined) state[i] = copyState(`${this.name}.stateDict`, s);
    }
    return { state, paramGroups };
  }

  /**
   * Restores a snapshot from `stateDict()` (of an optimizer over parameters of the same shapes,
   * grouped the same way), so training resumes exactly. The snapshot is copied, not shared.
   *
   * @example
   * ```ts
   * const opt2 = new Adam(model.parameters()); opt2.loadStateDict(opt.stateDict());
   * ```
   */
  loadStateDict(sd: OptimizerStateDict<O>): void {
    if (
      sd === null ||
      typeof sd !== "object" ||
      !Array.isArray(sd.paramGroups) ||
      sd.state === null ||
      typeof sd.state !== "object"
    ) {
      throw new ArgumentError(`${this.name}.loadStateDict: expected { state, paramGroups }, got ${describe(sd)}`);
    }
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new ArgumentError(
        `${this.name}.loadStateDict: the state dict has ${sd.paramGroups.length} parameter groups, the optimizer has ${this.paramGroups.length}`,
      );
    }
    const byIndex = new Map<number, Tensor>();
    const seenIds = new Set<number>();
    sd.paramGroups.forEach((saved, gi) => {
      const group = this.paramGroups[gi]!;
      if (saved === null || typeof saved !== "object") {
        throw new ArgumentError(
          `${this.name}.loadStateDict: group ${gi} must be an object, got ${describeValue(saved)}`,
        );
      }
      if (!Array.isArray(saved.params) || saved.params.length !== group.params.length) {
        throw new ArgumentError(
          `${this.name}.loadStateDict: group ${gi} has ${Array.isArray(saved.params) ? saved.params.length : "no"} parameters in the state dict but ${group.params.length} in the optimizer`,
        );
      }
      saved.params.forEach((id, j) => {
        if (!Number.isInteger(id) || id < 0 || seenIds.has(id)) {
          throw new ArgumentError(
            `${this.name}.loadStateDict: group ${gi} lists parameter id ${describeValue(id)}; expected distinct non-negative integers`,
          );
        }
        seenIds.add(id);
        byIndex.set(id, group.params[j]!);
      });
    });
    const state = new Map<Tensor, ParamState>();
    for (const [key, s] of Object.entries(sd.state)) {
      const param = byIndex.get(Number(key));
      if (!param) throw new ArgumentError(`${this.name}.loadStateDict: state for unknown parameter index ${key}`);
      state.set(param, copyState(`${this.name}.loadStateDict`, s, param, key));
    }
    const options = sd.paramGroups.map((saved) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(saved)) if (k !== "params") out[k] = copyValue(v);
      this.validate(out as unknown as O);
      return out;
    });
    // Everything checked: now replace the options (keeping each group object) and the state.
    this.paramGroups.forEach((group, gi) => {
      const g = group as unknown as Record<string, unknown>;
      for (const k of Object.keys(g)) if (k !== "params") delete g[k];
      Object.assign(g, options[gi]);
    });
    this.state.clear();
    for (const [p, s] of state) this.state.set(p, s);
  }
}

/** Short description of a value for error messages. */
export function describe(v: unknown): string {
  if (v === null) return "null";
  if (v instanceof Tensor) return `a Tensor of shape ${fmtShape(v.shape)}`;
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === "object") return `an object (${(v as object).constructor?.name ?? "Object"})`;
  return `${typeof v} ${String(v)}`;
}

/** Throws unless `value` is a finite number `>= 0` (or in `[0, 1)` when `below1`). */
export function checkNumber(optimizer: string, option: string, value: unknown, below1 = false): void {
  const ok = typeof value === "number" && Number.isFinite(value) && value >= 0 && (!below1 || value < 1);
  if (!ok) {
    const want = below1 ? "a number in [0, 1)" : "a finite number >= 0";
    throw new ArgumentError(`${optimizer}: invalid ${option} ${fmtValue(value)}; expected ${want}`);
  }
}

/** Throws unless `value` is a boolean. */
export function checkBoolean(optimizer: string, option: string, value: unknown): void {
  if (typeof value !== "boolean") {
    throw new ArgumentError(`${optimizer}: invalid ${option} ${fmtValue(value)}; expected true or false`);
  }
}

/** Throws for keys of `options` that are not in `known` (catches snake_case typos like weight_decay). */
export function checkKnownOptions(optimizer: string, options: unknown, known: readonly string[]): void {
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new ArgumentError(`${optimizer}: options must be an object, got ${describe(options)}`);
  }
  for (const k of Object.keys(options)) {
    if (!known.includes(k)) {
      throw new ArgumentError(`${optimizer}: unknown option "${k}"; expected one of ${known.join(", ")}`);
    }
  }
}

/** A value as an error message shows an option: numbers and booleans bare, anything else as JSON. */
export function fmtValue(v: unknown): string {
  return typeof v === "number" || typeof v === "boolean" ? String(v) : (JSON.stringify(v) ?? String(v));
}
