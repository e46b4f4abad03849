/**
 * Test helpers: seeded float64 leaves (plain and deliberately non-contiguous), index arrays, and
 * closeness assertions on Tensors.
 */
import * as nd from "@typegrad/tensor";
import { expect } from "vitest";
import { Tensor, topoOrder } from "../src/index.js";

/** How values are drawn: a function of the shape and the generator. */
export type Dist = (shape: readonly number[], rng: nd.Rng) => nd.NDArray;

export const normal: Dist = (shape, rng) => nd.randn(shape, { dtype: "float64", rng });
/** Uniform in [lo, hi). */
export const uniform =
  (lo: number, hi: number): Dist =>
  (shape, rng) =>
    nd.uniform(shape, lo, hi, { dtype: "float64", rng });
/** |values| >= gap, random sign: keeps kinks (abs, relu, division) out of finite-difference reach. */
export const awayFromZero =
  (gap = 0.2): Dist =>
  (shape, rng) => {
    const n = nd.randn(shape, { dtype: "float64", rng });
    return nd.add(n, nd.mul(nd.sign(n), gap));
  };

/** A seeded source of float64 leaves that require grad. */
export class Gen {
  readonly rng: nd.Rng;
  constructor(seed: number) {
    this.rng = new nd.Rng(seed);
  }

  /** A contiguous leaf. */
  leaf(shape: readonly number[], dist: Dist = normal): Tensor {
    return new Tensor(dist(shape, this.rng), { requiresGrad: true });
  }

  /** A leaf of `shape` that is the transpose (last two dims) of a contiguous buffer. */
  transposed(shape: readonly number[], dist: Dist = normal): Tensor {
    const n = shape.length;
    const baseShape = shape.slice();
    [baseShape[n - 2], baseShape[n - 1]] = [shape[n - 1]!, shape[n - 2]!];
    return nonContiguous(dist(baseShape, this.rng).transpose(n - 2, n - 1));
  }

  /** A leaf of `shape` narrowed out of a buffer two larger along the last dim (offset 1). */
  narrowed(shape: readonly number[], dist: Dist = normal): Tensor {
    const n = shape.length;
    const baseShape = shape.slice();
    baseShape[n - 1] = shape[n - 1]! + 2;
    return nonContiguous(dist(baseShape, this.rng).narrow(n - 1, 1, shape[n - 1]!));
  }

  /** A leaf of `shape` whose first dim is a stride-0 expansion of a single row. */
  expanded(shape: readonly number[], dist: Dist = normal): Tensor {
    const row = [1, ...shape.slice(1)];
    return nonContiguous(dist(row, this.rng).expand(shape));
  }

  /** A leaf of `shape` (3-d) that is a permutation of a contiguous buffer. */
  permuted(shape: readonly number[], dist: Dist = normal): Tensor {
    const [a, b, c] = shape as [number, number, number];
    return nonContiguous(dist([c, a, b], this.rng).permute(1, 2, 0));
  }

  /** A bool mask, true with probability one half. */
  mask(shape: readonly number[]): nd.NDArray {
    return nd.gt(nd.randn(shape, { rng: this.rng }), 0);
  }
}

function nonContiguous(data: nd.NDArray): Tensor {
  if (data.isContiguous())
    throw new Error(`helper bug: expected a non-contiguous view, got ${nd.fmtShape(data.shape)}`);
  return new Tensor(data, { requiresGrad: true });
}

/** An int32 index array. */
export function int32(values: nd.NestedArray): nd.NDArray {
  return nd.array(values, { dtype: "int32" });
}

/** Names of the ops recorded in the graph behind `out`. */
export function opsIn(out: Tensor): Set<string> {
  return new Set(topoOrder(out).flatMap((t) => (t.gradFn ? [t.gradFn.name] : [])));
}

/** Flattened values of a Tensor or NDArray. */
export function flat(x: Tensor | nd.NDArray): number[] {
  const a = x instanceof Tensor ? x.data : x;
  return Array.from(a.toTypedArray());
}

/** Element-wise |actual - expected| <= atol + rtol·|expected|; shapes must match when both are arrays. */
export function expectClose(
  actual: Tensor | nd.NDArray | number[],
  expected: Tensor | nd.NDArray | number[],
  atol = 1e-9,
  rtol = 1e-7,
): void {
  const a = Array.isArray(actual) ? actual : flat(actual);
  const e = Array.isArray(expected) ? expected : flat(expected);
  if (!Array.isArray(actual) && !Array.isArray(expected)) expect(actual.shape).toEqual(expected.shape);
  expect(a.length).toBe(e.length);
  for (let i = 0; i < a.length; i++) {
    const tol = atol + rtol * Math.abs(e[i]!);
    if (!(Math.abs(a[i]! - e[i]!) <= tol)) {
      throw new Error(`element ${i}: got ${a[i]}, expected ${e[i]} (tol ${tol})`);
    }
  }
}
