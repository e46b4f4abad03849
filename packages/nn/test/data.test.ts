/**
 * TensorDataset and DataLoader: rows and batches hold the right samples, every index is visited exactly
 * once per epoch, dropLast, seeded shuffling that is reproducible yet differs between epochs, and the
 * error messages for bad arguments.
 */
import { type Tensor, tensor } from "@typegrad/autograd";
import * as nd from "@typegrad/tensor";
import { describe, expect, it } from "vitest";
import { DataLoader, type Dataset, TensorDataset } from "../src/data.js";

/** x[i] = [i, 10 i], y[i] = i (int32), so a batch reveals which samples it holds. */
function indexed(n: number): TensorDataset {
  const x = tensor(Array.from({ length: n }, (_, i) => [i, 10 * i]));
  const y = tensor(
    Array.from({ length: n }, (_, i) => i),
    { dtype: "int32" },
  );
  return new TensorDataset(x, y);
}

function ids(batch: Tensor[]): number[] {
  return batch[1]!.toArray() as number[];
}

function epoch(loader: DataLoader): number[][] {
  return Array.from(loader, ids);
}

describe("TensorDataset", () => {
  it("has the shared first dim as length and returns row slices", () => {
    const x = tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const y = tensor([7, 8, 9], { dtype: "int32" });
    const ds = new TensorDataset(x, y);
    expect(ds.length).toBe(3);
    const [xi, yi] = ds.get(1);
    expect(xi!.shape).toEqual([2]);
    expect(xi!.toArray()).toEqual([3, 4]);
    expect(yi!.shape).toEqual([]);
    expect(yi!.item()).toBe(8);
    expect(yi!.dtype).toBe("int32");
    expect(ds.get(-1)[0]!.toArray()).toEqual([5, 6]);
  });

  it("accepts NDArrays and tensors with more dims", () => {
    const ds = new TensorDataset(nd.arange(24).reshape(2, 3, 4));
    expect(ds.length).toBe(2);
    expect(ds.get(1)[0]!.shape).toEqual([3, 4]);
    expect(ds.get(1)[0]!.toArray()).toEqual(nd.arange(12, 24).reshape(3, 4).toArray());
  });

  it("names the shapes when first dims differ, and rejects 0-d tensors and bad indices", () => {
    expect(() => new TensorDataset(nd.zeros([3, 2]), nd.zeros([4]))).toThrow(
      /TensorDataset: size mismatch between tensors: first dims of shapes \[3,2\], \[4\] differ/,
    );
    expect(() => new TensorDataset(nd.zeros([3]), nd.zeros([]))).toThrow(/needs a first \(sample\) dim.*\[3\], \[\]/);
    expect(() => new TensorDataset()).toThrow(/at least one tensor/);
    expect(() => new TensorDataset([1, 2] as unknown as Tensor)).toThrow(/argument 0 is object; expected a Tensor/);
    const ds = indexed(3);
    expect(() => ds.get(3)).toThrow(/index 3 is out of range for a dataset of 3 samples/);
    expect(() => ds.get(-4)).toThrow(/index -4 is out of range/);
    expect(() => ds.get(0.5)).toThrow(/index 0.5 is out of range/);
  });
});

describe("DataLoader", () => {
  it("yields in-order batches with the right shapes and values, the last one short", () => {
    const loader = new DataLoader(indexed(10), { batchSize: 4 });
    expect(loader.length).toBe(3);
    const batches = Array.from(loader);
    expect(batches.length).toBe(3);
    expect(batches.map((b) => b[0]!.shape)).toEqual([
      [4, 2],
      [4, 2],
      [2, 2],
    ]);
    expect(batches.map((b) => b[1]!.shape)).toEqual([[4], [4], [2]]);
    expect(batches[1]![0]!.toArray()).toEqual([
      [4, 40],
      [5, 50],
      [6, 60],
      [7, 70],
    ]);
    expect(batches[2]![1]!.dtype).toBe("int32");
    expect(batches.map(ids)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
  });

  it("defaults to batchSize 1 (SGD) and allows a full batch (GD) one option apart", () => {
    const sgd = new DataLoader(indexed(3));
    expect(sgd.length).toBe(3);
    expect(epoch(sgd)).toEqual([[0], [1], [2]]);
    expect(Array.from(sgd)[0]![0]!.shape).toEqual([1, 2]);
    const full = new DataLoader(indexed(3), { batchSize: 3 });
    expect(epoch(full)).toEqual([[0, 1, 2]]);
    const bigger = new DataLoader(indexed(3), { batchSize: 100 });
    expect(bigger.length).toBe(1);
    expect(epoch(bigger)).toEqual([[0, 1, 2]]);
  });

  it("dropLast skips the short final batch", () => {
    const loader = new DataLoader(indexed(10), { batchSize: 4, dropLast: true });
    expect(loader.length).toBe(2);
    expect(epoch(loader)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    expect(new DataLoader(indexed(8), { batchSize: 4, dropLast: true }).length).toBe(2);
    expect(epoch(new DataLoader(indexed(3), { batchSize: 4, dropLast: true }))).toEqual([]);
  });

  it("visits every index exactly once per shuffled epoch, with consistent x and y rows", () => {
    const loader = new DataLoader(indexed(23), { batchSize: 5, shuffle: true, seed: 7 });
    for (let e = 0; e < 3; e++) {
      const seen: number[] = [];
      let batches = 0;
      for (const [xb, yb] of loader) {
        batches++;
        const y = yb!.toArray() as number[];
        expect(xb!.toArray()).toEqual(y.map((i) => [i, 10 * i]));
        seen.push(...y);
      }
      expect(batches).toBe(loader.length);
      expect(seen.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: 23 }, (_, i) => i));
      expect(seen).not.toEqual(Array.from({ length: 23 }, (_, i) => i));
    }
  });

  it("shuffles reproducibly from a seed, with a different order every epoch", () => {
    const make = (seed: number) => new DataLoader(indexed(20), { batchSize: 6, shuffle: true, seed });
    const a = make(3);
    const b = make(3);
    const a1 = epoch(a).flat();
    const a2 = epoch(a).flat();
    expect(a2).not.toEqual(a1);
    expect(epoch(b).flat()).toEqual(a1);
    expect(epoch(b).flat()).toEqual(a2);
    expect(epoch(make(4)).flat()).not.toEqual(a1);
  });

  it("draws the epoch's order when iteration starts, so interleaved iterators stay reproducible", () => {
    const a = new DataLoader(indexed(12), { batchSize: 12, shuffle: true, seed: 1 });
    const first = epoch(a)[0];
    const b = new DataLoader(indexed(12), { batchSize: 12, shuffle: true, seed: 1 });
    const it1 = b[Symbol.iterator]();
    const it2 = b[Symbol.iterator]();
    ids(it2.next().value as Tensor[]);
    expect(ids(it1.next().value as Tensor[])).toEqual(first);
  });

  it("without a seed, shuffles from the default generator (manualSeed)", () => {
    const loader = new DataLoader(indexed(15), { batchSize: 15, shuffle: true });
    nd.manualSeed(11);
    const first = epoch(loader);
    nd.manualSeed(11);
    expect(epoch(loader)).toEqual(first);
    expect(first[0]).not.toEqual(Array.from({ length: 15 }, (_, i) => i));
  });

  it("stacks the items of any Dataset that is not a TensorDataset", () => {
    const ds: Dataset = {
      length: 5,
      get: (i) => [tensor([i, -i]), tensor(i * 2, { dtype: "int32" })],
    };
    const batches = Array.from(new DataLoader(ds, { batchSize: 2 }));
    expect(batches.length).toBe(3);
    expect(batches[1]![0]!.toArray()).toEqual([
      [2, -2],
      [3, -3],
    ]);
    expect(batches[2]![1]!.toArray()).toEqual([8]);
  });

  it("handles an empty dataset", () => {
    const ds = new TensorDataset(nd.zeros([0, 3]));
    const loader = new DataLoader(ds, { batchSize: 2, shuffle: true, seed: 0 });
    expect(loader.length).toBe(0);
    expect(Array.from(loader)).toEqual([]);
  });

  it("keeps gradients flowing to the dataset tensors", () => {
    const x = tensor([[1], [2], [3]], { requiresGrad: true });
    const [[xb]] = Array.from(new DataLoader(new TensorDataset(x), { batchSize: 2 })) as [[Tensor]];
    xb.sum().backward();
    expect(x.grad!.toArray()).toEqual([[1], [1], [0]]);
  });

  it("rejects bad options with messages naming them", () => {
    const ds = indexed(4);
    for (const batchSize of [0, -1, 1.5, Number.NaN]) {
      expect(() => new DataLoader(ds, { batchSize })).toThrow(
        new RegExp(`DataLoader: batchSize must be a positive integer, got ${batchSize}`),
      );
    }
    expect(() => new DataLoader(ds, { batchSize: "2" as unknown as number })).toThrow(/positive integer, got 2/);
    expect(() => new DataLoader(ds, { shuffle: 1 as unknown as boolean })).toThrow(/shuffle must be a boolean/);
    expect(() => new DataLoader(ds, { dropLast: "yes" as unknown as boolean })).toThrow(/dropLast must be a boolean/);
    expect(() => new DataLoader(ds, { seed: Number.POSITIVE_INFINITY })).toThrow(/seed must be a finite number/);
    expect(() => new DataLoader({} as Dataset)).toThrow(/expected a dataset with an integer length and get/);
  });
});
