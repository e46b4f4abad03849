import { ArgumentError, describeValue } from "./errors.js";
import { NDArray } from "./ndarray.js";

/** Print options, like `torch.set_printoptions`. */
export const printOptions = { threshold: 1000, edgeItems: 3, precision: 4 };

/**
 * PyTorch-style text for an array: values aligned in columns, middles elided with `...` when the
 * array has more than `printOptions.threshold` elements, followed by shape and dtype.
 *
 * @example
 * ```ts
 * formatNDArray(array([[1, 2], [3, 4.5]]), "tensor");
 * // tensor([[1.0000, 2.0000],
 * //         [3.0000, 4.5000]], shape=[2, 2], dtype=float32)
 * ```
 */
export function formatNDArray(a: NDArray, name = "array"): string {
  if (!(a instanceof NDArray)) throw new ArgumentError(`formatNDArray: expected an NDArray, got ${describeValue(a)}`);
  const summarize = a.size > printOptions.threshold;
  const edge = printOptions.edgeItems;
  const values = a.toTypedArray();
  const strides = a.shape.map((_, i) => a.shape.slice(i + 1).reduce((x, y) => x * y, 1));

  // Collect the printed elements first so every column gets the same width.
  const shown: number[] = [];
  const visit = (d: number, base: number): void => {
    if (d === a.ndim) {
      shown.push(values[base] as number);
      return;
    }
    const n = a.shape[d] as number;
    const stride = strides[d] as number;
    for (const i of visibleIndices(n, summarize, edge)) if (i >= 0) visit(d + 1, base + i * stride);
  };
  if (a.size > 0) visit(0, 0);
  const fmt = scalarFormatter(a.dtype, shown);
  const width = Math.max(0, ...shown.map((v) => fmt(v).length));
  const cell = (v: number): string => fmt(v).padStart(width);

  const prefix = `${name}(`;
  const render = (d: number, base: number, indent: number): string => {
    if (d === a.ndim) return cell(values[base] as number);
    const n = a.shape[d] as number;
    const stride = strides[d] as number;
    const parts = visibleIndices(n, summarize, edge).map((i) =>
      i < 0 ? "..." : render(d + 1, base + i * stride, indent + 1),
    );
    const pad = " ".repeat(prefix.length + indent + 1);
    const sep = d === a.ndim - 1 ? ", " : `,${"\n".repeat(a.ndim - d - 1)}${pad}`;
    return `[${parts.join(sep)}]`;
  };
  const body = a.size === 0 && a.ndim > 0 ? "[]" : render(0, 0, 0);
  return `${prefix}${body}, shape=[${a.shape.join(", ")}], dtype=${a.dtype})`;
}

function visibleIndices(n: number, summarize: boolean, edge: number): number[] {
  if (!summarize || n <= 2 * edge) return Array.from({ length: n }, (_, i) => i);
  return [...Array.from({ length: edge }, (_, i) => i), -1, ...Array.from({ length: edge }, (_, i) => n - edge + i)];
}

function scalarFormatter(dtype: string, shown: readonly number[]): (v: number) => string {
  if (dtype === "bool") return (v) => (v ? "True" : "False");
  if (dtype === "int32") return (v) => String(v);
  const finite = shown.filter((v) => Number.isFinite(v));
  const nonzero = finite.map(Math.abs).filter((v) => v > 0);
  const max = nonzero.length ? Math.max(...nonzero) : 0;
  const min = nonzero.length ? Math.min(...nonzero) : 0;
  const special = (v: number): string | null =>
    Number.isNaN(v) ? "nan" : v === Infinity ? "inf" : v === -Infinity ? "-inf" : null;
  if (finite.every((v) => Number.isInteger(v)) && max < 1e8) {
    return (v) => special(v) ?? `${v.toFixed(0)}.`;
  }
  const sci = max >= 1e8 || (min > 0 && max / min > 1000) || (min > 0 && min < 1e-4);
  const p = printOptions.precision;
  return (v) => special(v) ?? (sci ? v.toExponential(p).replace(/e([+-])(\d)$/, "e$10$2") : v.toFixed(p));
}
