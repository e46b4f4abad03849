import { outputFloat32, outputFloat64 } from "./buffer-pool.js";
import { allocate, castScalar, checkDType, type DType, dtypeOf, type TypedArray } from "./dtype.js";
import { ArgumentError, describeValue, fmtShape, IndexError, ShapeError } from "./errors.js";
import { formatNDArray } from "./format.js";
import { contiguousStrides, normalizeDim, type Shape, shapeArgs, shapeSize } from "./shape.js";
import { copyStrided, isContiguousLayout, stridedOffsets, viewStrides } from "./strided.js";

/** A nested JS array of numbers or booleans, as `toArray()` returns and `array()` accepts. */
export type NestedArray = number | boolean | NestedArray[];

/** A shape given as separate sizes `(2, 3)` or as one array `([2, 3])`. */
export type ShapeArgs = (number | readonly number[])[];

/**
 * A strided n-d array: a typed-array `data` buffer viewed through `shape`, `strides` and `offset`.
 * View methods (`reshape`, `transpose`, `permute`, `expand`, `squeeze`, `unsqueeze`, `narrow`) share
 * `data` and never copy, except `reshape` when the strides make a view impossible (like torch).
 *
 * @example
 * ```ts
 * const a = arange(6).reshape(2, 3);
 * a.transpose(0, 1).get(2, 1); // 5, read through strides, no copy
 * ```
 */
export class NDArray {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly data: TypedArray;

  /** Number of elements. */
  readonly size: number;

  constructor(data: TypedArray, shape: Shape, strides?: readonly number[], offset = 0) {
    this.data = data;
    if (!ArrayBuffer.isView(data)) {
      throw new ArgumentError(
        `NDArray: data must be a Float32Array, Float64Array, Int32Array or Uint8Array, got ${describeValue(data)}; use array(values) to build from JS values`,
      );
    }
    this.dtype = dtypeOf(data);
    if (!Array.isArray(shape))
      throw new ArgumentError(`NDArray: shape must be an array of sizes, got ${describeValue(shape)}`);
    // Own copies of shape and strides (callers may reuse theirs); not frozen, which costs on every op.
    this.shape = shape.slice();
    let size = 1;
    for (let i = 0; i < shape.length; i++) {
      const d = shape[i] as number;
      if (!(d >= 0) || d % 1 !== 0) {
        throw new ArgumentError(`NDArray: invalid shape ${fmtShape(shape)}; sizes must be non-negative integers`);
      }
      size *= d;
    }
    this.size = size;
    if (strides && strides.length !== shape.length) {
      throw new ShapeError(
        `NDArray: got ${strides.length} strides ${fmtShape(strides)} for shape ${fmtShape(shape)}; expected ${shape.length}`,
      );
    }
    if (!(offset >= 0) || offset % 1 !== 0) {
      throw new ArgumentError(`NDArray: offset must be a non-negative integer, got ${describeValue(offset)}`);
    }
    this.strides = strides ? strides.slice() : contiguousStrides(shape);
    this.offset = offset;
    if (!strides && offset + size > data.length) {
      throw new ShapeError(
        `NDArray: shape ${fmtShape(shape)} needs ${size} elements but the buffer holds ${data.length - offset}`,
      );
    }
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** True when elements sit row-major and gap-free from `offset` (so `data.subarray(offset, offset + size)` is the array). */
  isContiguous(): boolean {
    return isContiguousLayout(this.shape, this.strides);
  }

  /** This array if contiguous, otherwise a row-major copy. */
  contiguous(): NDArray {
    return this.isContiguous() ? this : this.clone();
  }

  /** A fresh contiguous copy with its own buffer. */
  clone(): NDArray {
    const dtype = this.dtype;
    // Every element is overwritten: float outputs may reuse a recycled buffer.
    const out =
      dtype === "float32"
        ? outputFloat32(this.size)
        : dtype === "float64"
          ? outputFloat64(this.size)
          : allocate(dtype, this.size);
    if (this.isContiguous()) {
      out.set(this.data.subarray(this.offset, this.offset + this.size));
    } else {
      copyStrided(out, this.data, this.shape, this.strides, this.offset);
    }
    return new NDArray(out, this.shape);
  }

  /** The contiguous elements as a typed array; a view of `data` when possible, else a copy. */
  toTypedArray(): TypedArray {
    const c = this.contiguous();
    return c.data.subarray(c.offset, c.offset + c.size);
  }

  /** Converts to another dtype (always a new buffer; float→int truncates toward zero like torch). */
  astype(dtype: DType): NDArray {
    checkDType("astype", dtype);
    if (dtype === this.dtype) return this.clone();
    const src = this.toTypedArray();
    const out = allocate(dtype, src.length);
    if (dtype === "bool") for (let i = 0; i < src.length; i++) out[i] = src[i] ? 1 : 0;
    else if (dtype === "int32") for (let i = 0; i < src.length; i++) out[i] = Math.trunc(src[i] as number);
    else out.set(src);
    return new NDArray(out, this.shape);
  }

  /** A view with a new shape (one size may be -1); copies only when the strides make a view impossible. */
  reshape(...shape: ShapeArgs): NDArray {
    const target = inferShape("reshape", this.shape, shapeArgs(shape));
    const strides = viewStrides(this.shape, this.strides, target);
    if (strides) return new NDArray(this.data, target, strides, this.offset);
    return new NDArray(this.clone().data, target);
  }

  /** Like `reshape` but throws instead of copying (torch's `view`). */
  view(...shape: ShapeArgs): NDArray {
    const target = inferShape("view", this.shape, shapeArgs(shape));
    const strides = viewStrides(this.shape, this.strides, target);
    if (!strides) {
      throw new ShapeError(
        `view: shape ${fmtShape(target)} is incompatible with the strides of a ${fmtShape(this.shape)} array; use reshape() or contiguous() first`,
      );
    }
    return new NDArray(this.data, target, strides, this.offset);
  }

  /** Swaps two dims (a view). */
  transpose(dim0: number, dim1: number): NDArray {
    const a = normalizeDim("transpose", dim0, this.ndim);
    const b = normalizeDim("transpose", dim1, this.ndim);
    if (this.ndim === 0) return this;
    const perm = Array.from({ length: this.ndim }, (_, i) => i);
    perm[a] = b;
    perm[b] = a;
    return this.permute(perm);
  }

  /** Reorders dims (a view). */
  permute(...dims: ShapeArgs): NDArray {
    const perm = shapeArgs(dims);
    if (perm.length !== this.ndim) {
      throw new ShapeError(
        `permute: got ${perm.length} dims ${JSON.stringify(perm)} for an array of shape ${fmtShape(this.shape)}; expected ${this.ndim}`,
      );
    }
    const seen = new Set<number>();
    const shape: number[] = [];
    const strides: number[] = [];
    for (const d of perm) {
      const n = normalizeDim("permute", d, this.ndim);
      if (seen.has(n)) throw new IndexError(`permute: dim ${n} repeats in ${JSON.stringify(perm)}`);
      seen.add(n);
      shape.push(this.shape[n] as number);
      strides.push(this.strides[n] as number);
    }
    return new NDArray(this.data, shape, strides, this.offset);
  }

  /** Broadcasts to a larger shape by giving size-1 dims stride 0 (a view). -1 keeps a dim. */
  expand(...shape: ShapeArgs): NDArray {
    const target = shapeArgs(shape);
    if (target.length < this.ndim) {
      throw new ShapeError(
        `expand: cannot expand shape ${fmtShape(this.shape)} to ${fmtShape(target)} (fewer dims than the array)`,
      );
    }
    const lead = target.length - this.ndim;
    const outShape: number[] = [];
    const strides: number[] = [];
    for (let i = 0; i < target.length; i++) {
      const want = target[i] as number;
      if (i < lead) {
        if (want === -1)
          throw new ShapeError(`expand: -1 is not allowed for new leading dim ${i} in ${fmtShape(target)}`);
        if (!Number.isInteger(want) || want < 0) {
          throw new ArgumentError(
            `expand: invalid size ${want} in ${fmtShape(target)}; sizes must be non-negative integers`,
          );
        }
        outShape.push(want);
        strides.push(0);
        continue;
      }
      const have = this.shape[i - lead] as number;
      const size = want === -1 ? have : want;
      if (!Number.isInteger(size) || size < 0) {
        throw new ArgumentError(
          `expand: invalid size ${want} in ${fmtShape(target)}; sizes must be non-negative integers or -1`,
        );
      }
      if (have === size) {
        outShape.push(size);
        strides.push(this.strides[i - lead] as number);
      } else if (have === 1) {
        if (size < 0) throw new ShapeError(`expand: invalid size ${size} in ${fmtShape(target)}`);
        outShape.push(size);
        strides.push(0);
      } else {
        throw new ShapeError(
          `expand: cannot expand shape ${fmtShape(this.shape)} to ${fmtShape(target)} (dim ${i}: ${have} is not 1)`,
        );
      }
    }
    return new NDArray(this.data, outShape, strides, this.offset);
  }

  /** Removes size-1 dims (all of them, or just `dim` when it has size 1). */
  squeeze(dim?: number | readonly number[]): NDArray {
    let drop: Set<number>;
    if (dim === undefined) {
      drop = new Set(this.shape.flatMap((d, i) => (d === 1 ? [i] : [])));
    } else {
      if (typeof dim !== "number" && !Array.isArray(dim)) {
        throw new IndexError(`squeeze: dim must be an integer or an array of integers, got ${describeValue(dim)}`);
      }
      const dims = typeof dim === "number" ? [dim] : dim;
      drop = new Set(
        dims.map((d) => normalizeDim("squeeze", d, this.ndim)).filter((d) => this.ndim > 0 && this.shape[d] === 1),
      );
    }
    const shape: number[] = [];
    const strides: number[] = [];
    for (let i = 0; i < this.ndim; i++) {
      if (drop.has(i)) continue;
      shape.push(this.shape[i] as number);
      strides.push(this.strides[i] as number);
    }
    return new NDArray(this.data, shape, strides, this.offset);
  }

  /** Inserts a size-1 dim at `dim` (a view). */
  unsqueeze(dim: number): NDArray {
    const d = normalizeDim("unsqueeze", dim, this.ndim + 1);
    const shape = this.shape.slice();
    const strides = this.strides.slice();
    const stride = d < this.ndim ? (this.strides[d] as number) * (this.shape[d] as number) : 1;
    shape.splice(d, 0, 1);
    strides.splice(d, 0, stride);
    return new NDArray(this.data, shape, strides, this.offset);
  }

  /** Elements `start .. start+length-1` along `dim` (a view). */
  narrow(dim: number, start: number, length: number): NDArray {
    const d = normalizeDim("narrow", dim, this.ndim);
    const size = this.shape[d] as number;
    const s = start < 0 ? start + size : start;
    if (!Number.isInteger(s) || !Number.isInteger(length) || s < 0 || length < 0 || s + length > size) {
      throw new IndexError(
        `narrow: start ${start} and length ${length} are out of range for dim ${d} of size ${size} (shape ${fmtShape(this.shape)})`,
      );
    }
    const shape = this.shape.slice();
    shape[d] = length;
    return new NDArray(this.data, shape, this.strides, this.offset + s * (this.strides[d] as number));
  }

  /** Merges dims `start..end` into one (a view when possible). */
  flatten(startDim = 0, endDim = -1): NDArray {
    if (this.ndim === 0) return this.reshape([1]);
    const s = normalizeDim("flatten", startDim, this.ndim);
    const e = normalizeDim("flatten", endDim, this.ndim);
    if (s > e) throw new IndexError(`flatten: startDim ${startDim} comes after endDim ${endDim}`);
    const shape = [...this.shape.slice(0, s), shapeSize(this.shape.slice(s, e + 1)), ...this.shape.slice(e + 1)];
    return this.reshape(shape);
  }

  /** Memory offset of one element. */
  private offsetOf(op: string, index: readonly number[]): number {
    if (index.length !== this.ndim) {
      throw new IndexError(`${op}: got ${index.length} indices for an array of shape ${fmtShape(this.shape)}`);
    }
    let p = this.offset;
    for (let i = 0; i < index.length; i++) {
      const size = this.shape[i] as number;
      let k = index[i] as number;
      if (k < 0) k += size;
      if (!Number.isInteger(k) || k < 0 || k >= size) {
        throw new IndexError(`${op}: index ${index[i]} is out of range for dim ${i} of size ${size}`);
      }
      p += k * (this.strides[i] as number);
    }
    return p;
  }

  /** One element by index (negative indices count from the end). */
  get(...index: number[]): number {
    return this.data[this.offsetOf("get", index)] as number;
  }

  /** Writes one element in place (the value is cast to this dtype). */
  set(value: number, ...index: number[]): void {
    if (typeof value !== "number" && typeof value !== "boolean") {
      throw new ArgumentError(`set: value must be a number or boolean, got ${describeValue(value)}`);
    }
    this.data[this.offsetOf("set", index)] = castScalar(value, this.dtype);
  }

  /** The only element of a one-element array, as a JS number. */
  item(): number {
    if (this.size !== 1) {
      throw new ShapeError(`item: only one-element arrays convert to a number, got shape ${fmtShape(this.shape)}`);
    }
    return this.data[stridedOffsets(this.shape, this.strides, this.offset)[0] as number] as number;
  }

  /** Nested JS arrays (booleans for bool arrays). */
  toArray(): NestedArray {
    const flat = this.toTypedArray();
    const isBool = this.dtype === "bool";
    const read = (i: number): number | boolean => (isBool ? flat[i] === 1 : (flat[i] as number));
    if (this.ndim === 0) return read(0);
    let pos = 0;
    const build = (d: number): NestedArray[] => {
      const n = this.shape[d] as number;
      const out: NestedArray[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = d === this.ndim - 1 ? read(pos++) : build(d + 1);
      return out;
    };
    return build(0);
  }

  /** PyTorch-like printout: aligned values, elided middles for large arrays, shape and dtype. */
  toString(): string {
    return formatNDArray(this);
  }
}

/** Resolves one -1 in a requested shape and checks the element count. */
function inferShape(op: string, from: Shape, requested: readonly number[]): number[] {
  const total = shapeSize(from);
  let unknown = -1;
  let known = 1;
  for (let i = 0; i < requested.length; i++) {
    const d = requested[i] as number;
    if (d === -1) {
      if (unknown >= 0) throw new ShapeError(`${op}: only one dim may be -1, got ${fmtShape(requested)}`);
      unknown = i;
    } else if (!Number.isInteger(d) || d < 0) {
      throw new ArgumentError(`${op}: invalid size ${d} in shape ${fmtShape(requested)}`);
    } else known *= d;
  }
  const out = requested.slice();
  if (unknown >= 0) {
    if (known === 0 || total % known !== 0) {
      throw new ShapeError(
        `${op}: cannot reshape array of shape ${fmtShape(from)} (${total} elements) into ${fmtShape(requested)}`,
      );
    }
    out[unknown] = total / known;
  } else if (known !== total) {
    throw new ShapeError(
      `${op}: cannot reshape array of shape ${fmtShape(from)} (${total} elements) into ${fmtShape(requested)}`,
    );
  }
  return out;
}
