/** Seeded RNG: golden values (portability), determinism, state save/restore, distributions. */
import { afterEach, describe, expect, it } from "vitest";
import {
  ArgumentError,
  getDefaultRng,
  manualSeed,
  mean,
  Rng,
  rand,
  randint,
  randn,
  randperm,
  uniform,
  variance,
} from "../src/index.js";

afterEach(() => manualSeed(0));

describe("golden values (must be identical on every machine and engine)", () => {
  it("new Rng(42).next()", () => {
    expect(new Rng(42).next()).toBe(0.6606157208001621);
  });

  it("new Rng(42) first nextUint32() values", () => {
    const r = new Rng(42);
    expect([r.nextUint32(), r.nextUint32(), r.nextUint32(), r.nextUint32()]).toEqual([
      2837322924, 544945897, 479756282, 3500138142,
    ]);
  });

  it("new Rng(42) first normal() values (Box–Muller pair)", () => {
    const r = new Rng(42);
    expect(r.normal()).toBe(0.6953712153418404);
    expect(r.normal()).toBe(0.5878986391985577);
  });

  it("new Rng(0)", () => {
    expect(new Rng(0).nextUint32()).toBe(3809008728);
    expect(new Rng(0).next()).toBe(0.8868539502021594);
  });

  it("next() is built from two uint32 draws with 53 random bits", () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const hi = b.nextUint32() >>> 5;
    const lo = b.nextUint32() >>> 6;
    expect(a.next()).toBe((hi * 2 ** 26 + lo) / 2 ** 53);
  });
});

describe("determinism", () => {
  it("the same seed gives the same stream", () => {
    const a = new Rng(123);
    const b = new Rng(123);
    for (let i = 0; i < 100; i++) expect(a.next()).toBe(b.next());
    expect(a.normal()).toBe(b.normal());
  });

  it("different seeds give different streams", () => {
    const a = Array.from(
      { length: 8 },
      (
        (r) => () =>
          r.next()
      )(new Rng(1)),
    );
    const b = Array.from(
      { length: 8 },
      (
        (r) => () =>
          r.next()
      )(new Rng(2)),
    );
    expect(a).not.toEqual(b);
    expect(new Rng(-1).next()).not.toBe(new Rng(1).next());
    expect(new Rng(2 ** 32).next()).not.toBe(new Rng(0).next());
  });

  it("seed() restarts the stream", () => {
    const r = new Rng(9);
    const first = r.next();
    r.next();
    r.seed(9);
    expect(r.next()).toBe(first);
  });

  it("getState/setState resumes exactly, including a pending normal()", () => {
    const r = new Rng(5);
    r.next();
    r.normal(); // leaves a spare
    const state = r.getState();
    const expected = [r.normal(), r.next(), r.nextUint32(), r.normal()];
    const other = new Rng(777);
    other.setState(state);
    expect([other.normal(), other.next(), other.nextUint32(), other.normal()]).toEqual(expected);
    r.setState(state);
    expect([r.normal(), r.next(), r.nextUint32(), r.normal()]).toEqual(expected);
  });

  it("getState is a snapshot, not a live reference", () => {
    const r = new Rng(5);
    const s = r.getState();
    const copy = { s: [...s.s], spare: s.spare };
    r.next();
    expect(s).toEqual(copy);
  });

  it("rejects bad seeds and states", () => {
    expect(() => new Rng(Number.NaN)).toThrow(ArgumentError);
    expect(() => new Rng(Infinity)).toThrow(/seed must be a finite number/);
    expect(() => new Rng(1).setState({ s: [1, 2, 3], spare: null })).toThrow(ArgumentError);
  });
});

describe("manualSeed and the default generator", () => {
  it("manualSeed makes rand/randn/randint reproducible", () => {
    manualSeed(7);
    const a = [rand([5]), randn([5]), randint(0, 100, [5])].map((x) => x.toArray());
    manualSeed(7);
    const b = [rand([5]), randn([5]), randint(0, 100, [5])].map((x) => x.toArray());
    expect(a).toEqual(b);
    manualSeed(8);
    const c = [rand([5]), randn([5]), randint(0, 100, [5])].map((x) => x.toArray());
    expect(c[0]).not.toEqual(a[0]);
    expect(c[1]).not.toEqual(a[1]);
    expect(c[2]).not.toEqual(a[2]);
  });

  it("rand draws from the default generator's next() (rounded to float32)", () => {
    manualSeed(42);
    const x = rand([3]).toArray();
    const r = new Rng(42);
    expect(x).toEqual([r.next(), r.next(), r.next()].map(Math.fround));
    manualSeed(42);
    const y = rand([2], { dtype: "float64" }).toArray() as number[];
    const q = new Rng(42);
    expect(y).toEqual([q.next(), q.next()]);
    expect(y[0]).toBe(0.6606157208001621);
  });

  it("randn float64 equals the generator's normal() stream", () => {
    manualSeed(42);
    const x = randn([2], { dtype: "float64" }).toArray();
    expect(x).toEqual([0.6953712153418404, 0.5878986391985577]);
  });

  it("an explicit rng leaves the default generator untouched", () => {
    manualSeed(3);
    const before = getDefaultRng().getState();
    rand([10], { rng: new Rng(1) });
    expect(getDefaultRng().getState()).toEqual(before);
    expect(rand([4], { rng: new Rng(1) }).toArray()).toEqual(rand([4], { rng: new Rng(1) }).toArray());
  });

  it("consecutive calls continue the stream (not restart it)", () => {
    manualSeed(11);
    const a = rand([4]).toArray();
    const b = rand([4]).toArray();
    expect(a).not.toEqual(b);
    manualSeed(11);
    expect(rand([8]).toArray()).toEqual([...(a as number[]), ...(b as number[])]);
  });
});

describe("distributions", () => {
  it("randn over 10k samples has mean ≈ 0 and std ≈ 1", () => {
    const x = randn([10_000], { rng: new Rng(2024), dtype: "float64" });
    expect(Math.abs(mean(x).item())).toBeLessThan(0.04);
    expect(Math.abs(Math.sqrt(variance(x).item()) - 1)).toBeLessThan(0.03);
    // the tails exist but stay sane
    const v = Array.from(x.data);
    expect(v.filter((t) => Math.abs(t) > 2).length / v.length).toBeGreaterThan(0.035);
    expect(v.filter((t) => Math.abs(t) > 2).length / v.length).toBeLessThan(0.056);
    expect(v.every(Number.isFinite)).toBe(true);
  });

  it("rand lies in [0, 1) with mean ≈ 0.5 and variance ≈ 1/12", () => {
    const x = rand([10_000], { rng: new Rng(1), dtype: "float64" });
    const v = Array.from(x.data);
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeLessThan(1);
    expect(Math.abs(mean(x).item() - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(variance(x).item() - 1 / 12)).toBeLessThan(0.005);
  });

  it("randint stays in [low, high), hits every value, and is int32", () => {
    const x = randint(-3, 4, [5000], { rng: new Rng(2) });
    expect(x.dtype).toBe("int32");
    const v = Array.from(x.data);
    expect(Math.min(...v)).toBe(-3);
    expect(Math.max(...v)).toBe(3);
    expect(new Set(v).size).toBe(7);
    for (let k = -3; k <= 3; k++) {
      const frac = v.filter((t) => t === k).length / v.length;
      expect(Math.abs(frac - 1 / 7)).toBeLessThan(0.03);
    }
    expect(randint(0, 10, [2, 3]).shape).toEqual([2, 3]);
    expect(randint(0, 2, [8], { dtype: "float32" }).dtype).toBe("float32");
  });

  it("randint rejects empty or non-integer ranges", () => {
    expect(() => randint(5, 5, [2])).toThrow(ArgumentError);
    expect(() => randint(0, 1.5, [2])).toThrow("randint: expected integers low < high, got low=0, high=1.5");
  });

  it("uniform(low, high) and randperm", () => {
    const u = Array.from(uniform([2000], -2, 3, { rng: new Rng(3), dtype: "float64" }).data);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...u)).toBeLessThan(3);
    expect(Math.min(...u)).toBeLessThan(-1.9);
    const p = Array.from(randperm(50, { rng: new Rng(4) }).data);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(p).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});
