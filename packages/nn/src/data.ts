/**
 * Datasets and mini-batching, like `torch.utils.data.TensorDataset` and `DataLoader`.
 * Full-batch gradient descent, SGD and mini-batch SGD differ only in `batchSize`.
 * @module
 */
import { stack, Tensor } from "@typegrad/autograd";
import {
  ArgumentError,
  describeValue,
  fmtShape,
  getDefaultRng,
  IndexError,
  NDArray,
  Rng,
  randperm,
  ShapeError,
} from "@typegrad/tensor";

/** Anything with a length whose items are tuples of Tensors (one per field, e.g. `[x, y]`). */
export interface Dataset {
  readonly length: number;
  get(index: number): Tensor[];
}

/**
 * Rows of several tensors that share their first dim: item `i` is `[t0[i], t1[i], ...]`.
 *
 * @example
 * ```ts
 * const ds = new TensorDataset(tensor([[1, 2], [3, 4], [5, 6]]), tensor([0, 1, 0], { dtype: "int32" }));
 * ds.length; ds.get(1).map((t) => t.toArray()); // 3, [[3, 4], 1]
 * ```
 */
export class TensorDataset implements Dataset {
  readonly tensors: readonly Tensor[];

  constructor(...tensors: (Tensor | NDArray)[]) {
    if (tensors.length === 0) throw new ArgumentError("TensorDataset: expected at least one tensor");
    const wrapped = tensors.map((t, i) => {
      if (t instanceof Tensor) return t;
      if (t instanceof NDArray) return new Tensor(t);
      throw new ArgumentError(
        `TensorDataset: argument ${i} is ${typeof t}; expected a Tensor or an NDArray, got ${describeValue(t)}`,
      );
    });
    const shapes = wrapped.map((t) => fmtShape(t.shape)).join(", ");
    if (wrapped.some((t) => t.ndim === 0)) {
      throw new ShapeError(`TensorDataset: every tensor needs a first (sample) dim, got shapes ${shapes}`);
    }
    const n = wrapped[0]!.shape[0];
    if (wrapped.some((t) => t.shape[0] !== n)) {
      throw new ShapeError(`TensorDataset: size mismatch between tensors: first dims of shapes ${shapes} differ`);
    }
    this.tensors = Object.freeze(wrapped);
  }

  /** Number of samples (the shared first dim). */
  get length(): number {
    return this.tensors[0]!.shape[0] as number;
  }

  /** Sample `index` (negative counts from the end): one row view per tensor, first dim removed. */
  get(index: number): Tensor[] {
    const n = this.length;
    if (!Number.isInteger(index) || index < -n || index >= n) {
      throw new IndexError(`TensorDataset.get: index ${index} is out of range for a dataset of ${n} samples`);
    }
    const i = index < 0 ? index + n : index;
    return this.tensors.map((t) => t.narrow(0, i, 1).squeeze(0));
  }
}

export interface DataLoaderOptions {
  /** Samples per batch (default 1). Use the dataset length for full-batch gradient descent. */
  batchSize?: number;
  /** Visit samples in a fresh random order each epoch (default false). */
  shuffle?: boolean;
  /** Skip the last batch when it is smaller than `batchSize` (default false). */
  dropLast?: boolean;
  /** Seed of the loader's own generator; without it, shuffling draws from the default generator (`manualSeed`). */
  seed?: number;
}

/**
 * Iterates a dataset in batches: each batch is one Tensor per dataset field, stacked along a new
 * first dim (for a `TensorDataset`, gathered with `indexSelect`). Every `for...of` is one epoch;
 * with `shuffle`, each epoch has a new order, and the sequence of orders is fixed by `seed`.
 *
 * @example
 * ```ts
 * const loader = new DataLoader(new TensorDataset(x, y), { batchSize: 32, shuffle: true, seed: 0 });
 * for (const [xb, yb] of loader) { opt.zeroGrad(); lossFn(model.forward(xb), yb).backward(); opt.step(); }
 * ```
 */
export class DataLoader implements Iterable<Tensor[]> {
  readonly dataset: Dataset;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  private readonly rng: Rng | null;

  constructor(dataset: Dataset, opts: DataLoaderOptions = {}) {
    if (
      typeof dataset !== "object" ||
      dataset === null ||
      typeof dataset.get !== "function" ||
      !Number.isInteger(dataset.length)
    ) {
      throw new ArgumentError(
        `DataLoader: expected a dataset with an integer length and get(index), got ${describeValue(dataset)}`,
      );
    }
    const { batchSize = 1, shuffle = false, dropLast = false, seed } = opts;
    if (!Number.isInteger(batchSize) || batchSize <= 0) {
      throw new ArgumentError(`DataLoader: batchSize must be a positive integer, got ${String(batchSize)}`);
    }
    if (typeof shuffle !== "boolean")
      throw new ArgumentError(`DataLoader: shuffle must be a boolean, got ${String(shuffle)}`);
    if (typeof dropLast !== "boolean") {
      throw new ArgumentError(`DataLoader: dropLast must be a boolean, got ${String(dropLast)}`);
    }
    if (seed !== undefined && (typeof seed !== "number" || !Number.isFinite(seed))) {
      throw new ArgumentError(`DataLoader: seed must be a finite number, got ${String(seed)}`);
    }
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.rng = seed === undefined ? null : new Rng(seed);
  }

  /** Number of batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** Starts an epoch; the order is drawn now, not at the first `next()`. */
  [Symbol.iterator](): Iterator<Tensor[]> {
    const n = this.dataset.length;
    const order = this.shuffle
      ? (randperm(n, { rng: this.rng ?? getDefaultRng() }).data as Int32Array)
      : Int32Array.from({ length: n }, (_, i) => i);
    return this.batches(order, this.length);
  }

  private *batches(order: Int32Array, count: number): Generator<Tensor[]> {
    const ds = this.dataset;
    for (let b = 0; b < count; b++) {
      const rows = order.slice(b * this.batchSize, Math.min((b + 1) * this.batchSize, order.length));
      if (ds instanceof TensorDataset) {
        const index = new NDArray(rows, [rows.length]);
        yield ds.tensors.map((t) => t.indexSelect(0, index));
      } else {
        const items = Array.from(rows, (i) => ds.get(i));
        yield items[0]!.map((_, field) =>
          stack(
            items.map((item) => item[field]!),
            0,
          ),
        );
      }
    }
  }
}
