import { allocate, floatDType } from "../dtype.js";
import { ArgumentError, describeValue, fmtShape, ShapeError } from "../errors.js";
import { NDArray } from "../ndarray.js";
import { shapesEqual } from "../shape.js";
import { layerNormBackwardWasm, layerNormWasm } from "../wasm/norm.js";
import { checkOperand } from "./elementwise.js";

/** Views `x` as rows of the trailing `size` elements (copying only if x is not contiguous). */
function rows(op: string, x: NDArray, size: number): { data: ArrayLike<number>; base: number; n: number } {
  if (!Number.isInteger(size)) {
    throw new ArgumentError(`${op}: size must be a positive integer, got ${describeValue(size)}`);
  }
  if (size <= 0 || x.size % size !== 0) {
    throw new ShapeError(`${op}: input of shape ${fmtShape(x.shape)} does not end with ${size} normalized elements`);
  }
  const c = x.contiguous();
  return { data: c.data, base: c.offset, n: c.size / size };
}

/**
 * Layer normalisation over the trailing `size` elements of each row:
 * `y = (x − μ)·rstd·w + b` with `rstd = 1/√(var + eps)` and the biased variance (torch's rule).
 * Returns `y` and the per-row `mean` and `rstd` the gradient needs.
 *
 * float32 inputs run on the WebAssembly SIMD kernels (src/wasm/norm.wat) when the engine has them and
 * the input is large enough; LayerNorm is a row kernel, so `setRowKernelBackend` chooses between them
 * and these loops (the portable fallback and the float64 path). Both compute in float64 and round y once;
 * they differ only in the order of the row sums (y within 1 ulp, mean and rstd within 1e-14 relative).
 *
 * @example
 * ```ts
 * const { y } = layerNorm(randn([4, 8]), 8, null, null, 1e-5); // rows with mean 0, variance ≈ 1
 * ```
 */
export function layerNorm(
  x: NDArray,
  size: number,
  weight: NDArray | null,
  bias: NDArray | null,
  eps: number,
): { y: NDArray; mean: NDArray; rstd: NDArray } {
  checkOperand("layerNorm", "input", x, false);
  if (typeof eps !== "number" || !Number.isFinite(eps) || eps < 0) {
    throw new ArgumentError(`layerNorm: eps must be a finite number >= 0, got ${describeValue(eps)}`);
  }
  const { data, base, n } = rows("layerNorm", x, size);
  for (const [name, p] of [
    ["weight", weight],
    ["bias", bias],
  ] as const) {
    if (p !== null && p !== undefined) checkOperand("layerNorm", name, p, false);
    if (p && p.size !== size) {
      throw new ShapeError(
        `layerNorm: ${name} of shape ${fmtShape(p.shape)} must have ${size} elements (the normalized dims of ${fmtShape(x.shape)})`,
      );
    }
  }
  const dtype = floatDType(x.dtype);
  const w = weight ? weight.toTypedArray() : null;
  const b = bias ? bias.toTypedArray() : null;
  if (data instanceof Float32Array) {
    const fast = layerNormWasm(data, base, n, size, w, b, eps);
    if (fast) {
      return { y: new NDArray(fast.y, x.shape), mean: new NDArray(fast.mean, [n]), rstd: new NDArray(fast.rstd, [n]) };
    }
  }
  const y = allocate(dtype, n * size);
  const mean = new Float64Array(n);
  const rstd = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const start = base + r * size;
    let m = 0;
    for (let j = 0; j < size; j++) m += data[start + j] as number;
    m /= size;
    let v = 0;
    for (let j = 0; j < size; j++) {
      const d = (data[start + j] as number) - m;
      v += d * d;
    }
    const s = 1 / Math.sqrt(v / size + eps);
    mean[r] = m;
    rstd[r] = s;
    const out = r * size;
    for (let j = 0; j < size; j++) {
      let val = ((data[start + j] as number) - m) * s;
      if (w) val *= w[j] as number;
      if (b) val += b[j] as number;
      y[out + j] = val;
    }
  }
  return { y: new NDArray(y, x.shape), mean: new NDArray(mean, [n]), rstd: new NDArray(rstd, [n]) };
}

/**
 * Gradients of `layerNorm` for upstream `g`: with `x̂ = (x − μ)·rstd` and `ĝ = g·w`,
 * `dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂))`, `dw = Σ_rows g·x̂`, `db = Σ_rows g`.
 * float32 `g` and `x` run on the WebAssembly SIMD kernel under the same rule as {@link layerNorm}:
 * dw and db are then bitwise the loops' (float64 sums in row order), dx within 1 ulp.
 *
 * @example
 * ```ts
 * const x = randn([4, 8]);
 * const { mean, rstd } = layerNorm(x, 8, null, null, 1e-5);
 * const { dx } = layerNormBackward(onesLike(x), x, 8, mean, rstd, null); // ≈ 0: y's rows sum to 0
 * ```
 */
export function layerNormBackward(
  g: NDArray,
  x: NDArray,
  size: number,
  mean: NDArray,
  rstd: NDArray,
  weight: NDArray | null,
): { dx: NDArray; dw: NDArray; db: NDArray } {
  const op = "layerNormBackward";
  checkOperand(op, "gradient", g, false);
  checkOperand(op, "input", x, false);
  checkOperand(op, "mean", mean, false);
  checkOperand(op, "rstd", rstd, false);
  if (!shapesEqual(g.shape, x.shape)) {
    throw new ShapeError(
      `${op}: gradient of shape ${fmtShape(g.shape)} must match the input's shape ${fmtShape(x.shape)}`,
    );
  }
  const X = rows(op, x, size);
  const G = rows(op, g, size);
  if (mean.size !== X.n || rstd.size !== X.n) {
    throw new ShapeError(
      `${op}: mean ${fmtShape(mean.shape)} and rstd ${fmtShape(rstd.shape)} must have one entry per row (${X.n})`,
    );
  }
  if (weight !== null && weight !== undefined) {
    checkOperand(op, "weight", weight, false);
    if (weight.size !== size) {
      throw new ShapeError(`${op}: weight of shape ${fmtShape(weight.shape)} must have ${size} elements`);
    }
  }
  const dtype = floatDType(x.dtype);
  const w = weight ? weight.toTypedArray() : null;
  const M = mean.toTypedArray();
  const S = rstd.toTypedArray();
  const wShape = weight ? weight.shape : [size];
  const cast = (a: Float64Array) => {
    const o = allocate(dtype, size);
    o.set(a);
    return new NDArray(o, wShape);
  };
  if (X.data instanceof Float32Array && G.data instanceof Float32Array) {
    const fast = layerNormBackwardWasm(X.data, X.base, G.data, G.base, X.n, size, M, S, w);
    if (fast) return { dx: new NDArray(fast.dx, x.shape), dw: cast(fast.dw), db: cast(fast.db) };
  }
  const dx = allocate(dtype, X.n * size);
  const dw = new Float64Array(size);
  const db = new Float64Array(size);
  for (let r = 0; r < X.n; r++) {
    const xs = X.base + r * size;
    const gs = G.base + r * size;
    const m = M[r] as number;
    const s = S[r] as number;
    let sumG = 0;
    let sumGX = 0;
    for (let j = 0; j < size; j++) {
      const gv = G.data[gs + j] as number;
      const xhat = ((X.data[xs + j] as number) - m) * s;
      const gh = w ? gv * (w[j] as number) : gv;
      sumG += gh;
      sumGX += gh * xhat;
      dw[j] = (dw[j] as number) + gv * xhat;
      db[j] = (db[j] as number) + gv;
    }
    const meanG = sumG / size;
    const meanGX = sumGX / size;
    const out = r * size;
    for (let j = 0; j < size; j++) {
      const gv = G.data[gs + j] as number;
      const xhat = ((X.data[xs + j] as number) - m) * s;
      const gh = w ? gv * (w[j] as number) : gv;
      dx[out + j] = s * (gh - meanG - xhat * meanGX);
    }
  }
  return { dx: new NDArray(dx, x.shape), dw: cast(dw), db: cast(db) };
}
