import * as nd from "@typegrad/tensor";
import {
  ArgumentError,
  type DType,
  DTypeError,
  describeValue,
  fmtShape,
  type NDArray,
  type NestedArray,
  type ShapeArgs,
  ShapeError,
} from "@typegrad/tensor";
import { type BackwardOptions, backward as runBackward } from "./engine.js";
import { isGradEnabled } from "./grad-mode.js";
import type { Node } from "./node.js";
import * as ops from "./ops/index.js";

/** A Tensor or a plain number standing for a constant. */
export type TensorLike = Tensor | number;

/** A hook on a tensor's gradient: return a replacement gradient or nothing. */
export type GradHook = (grad: Tensor) => Tensor | undefined | void;

const NO_HOOKS: readonly GradHook[] = [];

/** Shared by a tensor and its views: bumped by every in-place change to the storage. */
interface VersionCounter {
  value: number;
}

/**
 * A differentiable n-d tensor: an `NDArray` plus the autograd bookkeeping (`requiresGrad`, `grad`,
 * `gradFn`). Ops record a graph; `backward()` walks it in reverse and accumulates `.grad` on leaves.
 *
 * @example
 * ```ts
 * const x = tensor([1, 2, 3], { requiresGrad: true });
 * x.mul(x).sum().backward();
 * x.grad!.toArray(); // [2, 4, 6]
 * ```
 */
export class Tensor {
  private _data: NDArray;
  /** Accumulated gradient (leaves, and non-leaves after `retainGrad()`); assignable. */
  grad: Tensor | null = null;
  /** Optional name shown in graph pictures (parameters get their dotted names). */
  name?: string;
  private _requiresGrad = false;
  private _gradFn: Node | null = null;
  // Created on first need: most tensors are never modified in place, viewed or hooked.
  private _version: VersionCounter | null = null;
  private _hooks: GradHook[] | null = null;
  private _retainsGrad = false;

  constructor(data: NDArray, opts: { requiresGrad?: boolean } = {}) {
    if (!(data instanceof nd.NDArray)) {
      throw new ArgumentError(
        `Tensor: expected an NDArray, got ${describeValue(data)}; use tensor(values) to build from JS values`,
      );
    }
    this._data = data;
    if (opts.requiresGrad) this.requiresGrad = true;
  }

  /** Internal: the output of a recorded op. */
  static fromNode(data: NDArray, node: Node): Tensor {
    const t = new Tensor(data);
    t._gradFn = node;
    t._requiresGrad = true;
    return t;
  }

  /** The values. */
  get data(): NDArray {
    return this._data;
  }

  /**
   * Replaces the values in place (same Tensor object, e.g. `Module.to(dtype)` or loading weights),
   * outside the graph. Bumps the version so stale saved tensors are detected.
   */
  setData(data: NDArray): void {
    if (!(data instanceof nd.NDArray))
      throw new ArgumentError(`setData: expected an NDArray, got ${describeValue(data)}`);
    if (this._requiresGrad && !nd.isFloat(data.dtype)) {
      throw new DTypeError(`setData: a tensor that requires grad needs float data, got ${data.dtype}`);
    }
    this._data = data;
    this.bumpVersion();
  }

  get shape(): readonly number[] {
    return this.data.shape;
  }
  get dtype(): DType {
    return this.data.dtype;
  }
  get ndim(): number {
    return this.data.ndim;
  }
  get size(): number {
    return this.data.size;
  }
  /** The op that produced this tensor, or null for leaves. */
  get gradFn(): Node | null {
    return this._gradFn;
  }
  /** True for tensors not produced by a recorded op. */
  get isLeaf(): boolean {
    return this._gradFn === null;
  }
  /** Storage version, bumped by in-place changes (shared with views). */
  get version(): number {
    return this._version ? this._version.value : 0;
  }
  get retainsGrad(): boolean {
    return this._retainsGrad;
  }
  get hooks(): readonly GradHook[] {
    return this._hooks ?? NO_HOOKS;
  }

  get requiresGrad(): boolean {
    return this._requiresGrad;
  }
  set requiresGrad(value: boolean) {
    if (typeof value !== "boolean") {
      throw new ArgumentError(`requiresGrad: expected a boolean, got ${describeValue(value)}`);
    }
    if (value && !nd.isFloat(this.dtype)) {
      throw new DTypeError(
        `requiresGrad: only floating point tensors can require gradients, got ${this.dtype} of shape ${fmtShape(this.shape)}`,
      );
    }
    if (!value && this._gradFn) {
      throw new ArgumentError("requiresGrad: cannot turn off requiresGrad of a non-leaf tensor; use detach()");
    }
    this._requiresGrad = value;
  }

  /** Sets requiresGrad and returns this, for chaining. */
  requiresGrad_(value = true): this {
    this.requiresGrad = value;
    return this;
  }

  /** Internal: make this tensor share the version counter of `base` (views of the same storage). */
  shareVersion(base: Tensor): this {
    base._version ??= { value: 0 };
    this._version = base._version;
    return this;
  }

  /** Internal: mark the storage as modified in place. */
  bumpVersion(): void {
    this._version ??= { value: 0 };
    this._version.value++;
  }

  /**
   * Computes gradients of this tensor with respect to every leaf that requires grad, adding them
   * into each leaf's `.grad`. A non-scalar output needs an explicit `gradient` of its shape.
   *
   * @example
   * ```ts
   * const y = x.pow(2).sum(); y.backward();            // dy/dx = 2x
   * y2.backward(undefined, { createGraph: true });    // differentiable grads (double backward)
   * ```
   */
  backward(gradient?: Tensor, opts: BackwardOptions = {}): void {
    runBackward(this, gradient, opts);
  }

  /** Keep `.grad` for this non-leaf tensor after backward. */
  retainGrad(): void {
    if (!this._requiresGrad)
      throw new ArgumentError("retainGrad: can't retain the gradient of a tensor that does not require grad");
    this._retainsGrad = true;
  }

  /** Runs `fn` on this tensor's gradient during backward (it may return a replacement). Returns a remover. */
  registerHook(fn: GradHook): () => void {
    if (typeof fn !== "function") {
      throw new ArgumentError(`registerHook: expected a function (grad) => Tensor | void, got ${describeValue(fn)}`);
    }
    if (!this._requiresGrad)
      throw new ArgumentError("registerHook: can't register a hook on a tensor that does not require grad");
    this._hooks ??= [];
    this._hooks.push(fn);
    return () => {
      this._hooks = (this._hooks ?? []).filter((h) => h !== fn);
    };
  }

  /** A tensor sharing this one's values but cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.data).shareVersion(this);
  }

  /** The value of a one-element tensor. */
  item(): number {
    return this.data.item();
  }

  /** Values as nested JS arrays. */
  toArray(): NestedArray {
    return this.data.toArray();
  }

  /** PyTorch-like printout. */
  toString(): string {
    const text = nd.formatNDArray(this.data, "tensor");
    if (this._gradFn) return text.replace(/\)$/, `, gradFn=${this._gradFn.name})`);
    return this._requiresGrad ? text.replace(/\)$/, ", requiresGrad=true)") : text;
  }

  // ---- arithmetic (broadcasting; numbers accepted) ----
  add(other: TensorLike): Tensor {
    return ops.add(this, other);
  }
  sub(other: TensorLike): Tensor {
    return ops.sub(this, other);
  }
  mul(other: TensorLike): Tensor {
    return ops.mul(this, other);
  }
  div(other: TensorLike): Tensor {
    return ops.div(this, other);
  }
  pow(exponent: TensorLike): Tensor {
    return ops.pow(this, exponent);
  }
  neg(): Tensor {
    return ops.neg(this);
  }
  maximum(other: TensorLike): Tensor {
    return ops.maximum(this, other);
  }
  minimum(other: TensorLike): Tensor {
    return ops.minimum(this, other);
  }
  eq(other: TensorLike): Tensor {
    return ops.compare("eq", this, other);
  }
  ne(other: TensorLike): Tensor {
    return ops.compare("ne", this, other);
  }
  lt(other: TensorLike): Tensor {
    return ops.compare("lt", this, other);
  }
  le(other: TensorLike): Tensor {
    return ops.compare("le", this, other);
  }
  gt(other: TensorLike): Tensor {
    return ops.compare("gt", this, other);
  }
  ge(other: TensorLike): Tensor {
    return ops.compare("ge", this, other);
  }

  // ---- unary math and activations ----
  exp(): Tensor {
    return ops.exp(this);
  }
  log(): Tensor {
    return ops.log(this);
  }
  log1p(): Tensor {
    return ops.log1p(this);
  }
  sqrt(): Tensor {
    return ops.sqrt(this);
  }
  rsqrt(): Tensor {
    return ops.rsqrt(this);
  }
  square(): Tensor {
    return ops.mul(this, this);
  }
  abs(): Tensor {
    return ops.abs(this);
  }
  sign(): Tensor {
    return ops.sign(this);
  }
  sin(): Tensor {
    return ops.sin(this);
  }
  cos(): Tensor {
    return ops.cos(this);
  }
  tanh(): Tensor {
    return ops.tanh(this);
  }
  sigmoid(): Tensor {
    return ops.sigmoid(this);
  }
  relu(): Tensor {
    return ops.relu(this);
  }
  gelu(approximate: "none" | "tanh" = "none"): Tensor {
    return ops.gelu(this, approximate);
  }
  silu(): Tensor {
    return ops.silu(this);
  }
  softplus(beta = 1, threshold = 20): Tensor {
    return ops.softplus(this, beta, threshold);
  }
  clamp(min?: number, max?: number): Tensor {
    return ops.clamp(this, min, max);
  }

  // ---- linear algebra and reductions ----
  matmul(other: Tensor): Tensor {
    return ops.matmul(this, other);
  }
  sum(dim?: number | readonly number[], keepdim = false): Tensor {
    return ops.sum(this, dim, keepdim);
  }
  mean(dim?: number | readonly number[], keepdim = false): Tensor {
    return ops.mean(this, dim, keepdim);
  }
  var(
    dim?: number | readonly number[],
    opts: { unbiased?: boolean; correction?: number; keepdim?: boolean } = {},
  ): Tensor {
    return ops.variance(this, dim, opts);
  }
  max(dim?: number | readonly number[], keepdim = false): Tensor {
    return ops.max(this, dim, keepdim);
  }
  min(dim?: number | readonly number[], keepdim = false): Tensor {
    return ops.min(this, dim, keepdim);
  }
  argmax(dim?: number, keepdim = false): Tensor {
    return new Tensor(nd.argmax(this.data, dim, keepdim));
  }
  argmin(dim?: number, keepdim = false): Tensor {
    return new Tensor(nd.argmin(this.data, dim, keepdim));
  }
  logsumexp(dim: number | readonly number[], keepdim = false): Tensor {
    return ops.logsumexp(this, dim, keepdim);
  }
  softmax(dim: number): Tensor {
    return ops.softmax(this, dim);
  }
  logSoftmax(dim: number): Tensor {
    return ops.logSoftmax(this, dim);
  }

  // ---- shape and views ----
  reshape(...shape: ShapeArgs): Tensor {
    return ops.reshape(this, shape);
  }
  view(...shape: ShapeArgs): Tensor {
    return ops.view(this, shape);
  }
  transpose(dim0: number, dim1: number): Tensor {
    return ops.transpose(this, dim0, dim1);
  }
  permute(...dims: ShapeArgs): Tensor {
    return ops.permute(this, dims);
  }
  expand(...shape: ShapeArgs): Tensor {
    return ops.expand(this, shape);
  }
  squeeze(dim?: number | readonly number[]): Tensor {
    return ops.squeeze(this, dim);
  }
  unsqueeze(dim: number): Tensor {
    return ops.unsqueeze(this, dim);
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return ops.flatten(this, startDim, endDim);
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return ops.narrow(this, dim, start, length);
  }
  contiguous(): Tensor {
    return this.data.isContiguous() ? this : ops.contiguous(this);
  }
  clone(): Tensor {
    return ops.contiguous(this, true);
  }
  /** 2-d transpose. */
  get T(): Tensor {
    if (this.ndim !== 2)
      throw new ShapeError(`T: expects a 2-d tensor, got shape ${fmtShape(this.shape)}; use transpose() or permute()`);
    return ops.transpose(this, 0, 1);
  }
  /** Converts to another dtype (differentiable between float dtypes). */
  to(dtype: DType): Tensor {
    if (!(nd.DTYPES as readonly unknown[]).includes(dtype)) {
      throw new DTypeError(`to: unknown dtype ${describeValue(dtype)}; expected one of ${nd.DTYPES.join(", ")}`);
    }
    return dtype === this.dtype ? this : ops.cast(this, dtype);
  }
  float(): Tensor {
    return this.to("float32");
  }
  double(): Tensor {
    return this.to("float64");
  }

  // ---- indexing ----
  gather(dim: number, index: Tensor | NDArray): Tensor {
    return ops.gather(this, dim, index);
  }
  indexSelect(dim: number, index: Tensor | NDArray): Tensor {
    return ops.indexSelect(this, dim, index);
  }
  maskedFill(mask: Tensor | NDArray, value: number): Tensor {
    return ops.maskedFill(this, mask, value);
  }
  /** `where(cond, this, other)`, like torch's `x.where(cond, y)`. */
  where(cond: Tensor | NDArray, other: TensorLike): Tensor {
    return ops.where(cond, this, other);
  }

  // ---- in-place (only outside the graph: under noGrad or on tensors that don't require grad) ----
  private inPlace(op: string, fn: () => void, operand?: unknown): this {
    if (operand !== undefined) {
      const o = operand instanceof Tensor ? operand.data : operand;
      if (typeof o !== "number" && typeof o !== "boolean" && !(o instanceof nd.NDArray)) {
        throw new ArgumentError(`${op}: expected a Tensor, NDArray or number, got ${describeValue(operand)}`);
      }
      if (o instanceof nd.NDArray) {
        let ok = o.ndim <= this.ndim;
        for (let i = 1; ok && i <= o.ndim; i++) {
          const d = o.shape[o.ndim - i] as number;
          if (d !== 1 && d !== this.shape[this.ndim - i]) ok = false;
        }
        if (!ok) {
          throw new ShapeError(
            `${op}: operand of shape ${fmtShape(o.shape)} does not broadcast to this tensor's shape ${fmtShape(this.shape)}`,
          );
        }
      }
    }
    if (this._requiresGrad && isGradEnabled()) {
      throw new ArgumentError(
        `${op}: in-place changes to a tensor that requires grad are only allowed inside noGrad() (shape ${fmtShape(this.shape)})`,
      );
    }
    fn();
    this.bumpVersion();
    return this;
  }
  /** Copies `src` (broadcast) into this tensor's storage. */
  copy_(src: TensorLike | NDArray): this {
    return this.inPlace("copy_", () => nd.assign(this.data, src instanceof Tensor ? src.data : src), src ?? null);
  }
  /** Fills with `value`. */
  fill_(value: number): this {
    return this.inPlace("fill_", () => nd.assign(this.data, value), value ?? null);
  }
  /** Fills with zeros. */
  zero_(): this {
    return this.fill_(0);
  }
  /** Adds `other * alpha` in place. */
  add_(other: TensorLike, alpha = 1): this {
    if (typeof alpha !== "number") throw new ArgumentError(`add_: alpha must be a number, got ${describeValue(alpha)}`);
    return this.inPlace(
      "add_",
      () => {
        const o = other instanceof Tensor ? other.data : other;
        nd.assign(this.data, nd.add(this.data, alpha === 1 ? o : nd.mul(o, alpha)));
      },
      other ?? null,
    );
  }
  /** Multiplies by `other` in place. */
  mul_(other: TensorLike): this {
    return this.inPlace(
      "mul_",
      () => nd.assign(this.data, nd.mul(this.data, other instanceof Tensor ? other.data : other)),
      other ?? null,
    );
  }
}
