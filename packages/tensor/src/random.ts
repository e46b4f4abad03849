import { allocate, castScalar, checkDType, type DType } from "./dtype.js";
import { ArgumentError, describeValue } from "./errors.js";
import { NDArray } from "./ndarray.js";
import { checkShape, type Shape, shapeSize } from "./shape.js";

/**
 * A seeded, portable random generator (xoshiro128** seeded by splitmix32). It uses only 32-bit
 * integer math, so the same seed gives the same numbers on every machine and JS engine.
 *
 * @example
 * ```ts
 * const rng = new Rng(42);
 * rng.next();   // uniform in [0, 1)
 * rng.normal(); // standard normal (Box–Muller)
 * ```
 */
export class Rng {
  private s = new Uint32Array(4);
  private spare: number | null = null;

  constructor(seed: number) {
    this.seed(seed);
  }

  /** Restarts the stream from `seed`. */
  seed(seed: number): void {
    if (!Number.isFinite(seed)) throw new ArgumentError(`Rng: seed must be a finite number, got ${seed}`);
    let x = (Math.trunc(seed) ^ Math.trunc(seed / 4294967296)) >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if (this.s.every((v) => v === 0)) this.s[0] = 1;
    this.spare = null;
  }

  /** The next raw 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const s1 = s[1] as number;
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    s[2] = (s[2] as number) ^ (s[0] as number);
    s[3] = (s[3] as number) ^ s1;
    s[1] = s1 ^ (s[2] as number);
    s[0] = (s[0] as number) ^ (s[3] as number);
    s[2] = (s[2] as number) ^ t;
    s[3] = rotl(s[3] as number, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal N(0, 1) by the Box–Muller transform. */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Uniform integer in [low, high). */
  int(low: number, high: number): number {
    return low + Math.floor(this.next() * (high - low));
  }

  /** A snapshot of the generator, for checkpoints. */
  getState(): { s: number[]; spare: number | null } {
    return { s: [...this.s], spare: this.spare };
  }

  /** Restores a snapshot from `getState()`. */
  setState(state: { s: readonly number[]; spare: number | null }): void {
    if (state === null || typeof state !== "object" || !Array.isArray(state.s)) {
      throw new ArgumentError(`Rng.setState: expected { s: number[4], spare }, got ${describeValue(state)}`);
    }
    if (state.s.length !== 4) throw new ArgumentError(`Rng.setState: expected 4 state words, got ${state.s.length}`);
    if (state.s.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff)) {
      throw new ArgumentError(
        `Rng.setState: state words must be 32-bit unsigned integers, got ${JSON.stringify(state.s)}`,
      );
    }
    if (state.spare !== null && !Number.isFinite(state.spare)) {
      throw new ArgumentError(`Rng.setState: spare must be null or a finite number, got ${describeValue(state.spare)}`);
    }
    this.s.set(state.s);
    this.spare = state.spare;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

let defaultRng = new Rng(0);

/** Seeds the default generator used when no `rng` option is given. @example `manualSeed(0); rand([2]);` */
export function manualSeed(seed: number): void {
  if (typeof seed !== "number" || !Number.isFinite(seed)) {
    throw new ArgumentError(`manualSeed: seed must be a finite number, got ${describeValue(seed)}`);
  }
  defaultRng = new Rng(seed);
}

/** The default generator (seeded by `manualSeed`). */
export function getDefaultRng(): Rng {
  return defaultRng;
}

export interface RandomOptions {
  dtype?: DType;
  rng?: Rng;
}

function fill(op: string, shape: Shape, opts: RandomOptions, fallback: DType, draw: (rng: Rng) => number): NDArray {
  const dims = checkShape(op, shape as unknown);
  const dtype = checkDType(op, opts.dtype ?? fallback);
  const rng = checkRng(op, opts.rng);
  const data = allocate(dtype, shapeSize(dims));
  for (let i = 0; i < data.length; i++) data[i] = castScalar(draw(rng), dtype);
  return new NDArray(data, dims);
}

function checkRng(op: string, rng: unknown): Rng {
  if (rng === undefined) return defaultRng;
  if (!(rng instanceof Rng)) throw new ArgumentError(`${op}: rng must be an Rng, got ${describeValue(rng)}`);
  return rng;
}

/** Uniform samples in [0, 1). @example `manualSeed(1); rand([2, 2]);` */
export function rand(shape: Shape, opts: RandomOptions = {}): NDArray {
  return fill("rand", shape, opts, "float32", (r) => r.next());
}

/** Standard normal samples. @example `randn([3], { dtype: "float64" });` */
export function randn(shape: Shape, opts: RandomOptions = {}): NDArray {
  return fill("randn", shape, opts, "float32", (r) => r.normal());
}

/** Uniform integers in [low, high), int32 by default. @example `randint(0, 10, [5]);` */
export function randint(low: number, high: number, shape: Shape, opts: RandomOptions = {}): NDArray {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new ArgumentError(`randint: expected integers low < high, got low=${low}, high=${high}`);
  }
  return fill("randint", shape, opts, "int32", (r) => r.int(low, high));
}

/** Uniform samples in [low, high). */
export function uniform(shape: Shape, low: number, high: number, opts: RandomOptions = {}): NDArray {
  if (!Number.isFinite(low) || !Number.isFinite(high) || low > high) {
    throw new ArgumentError(`uniform: expected finite bounds low <= high, got low=${low}, high=${high}`);
  }
  return fill("uniform", shape, opts, "float32", (r) => low + (high - low) * r.next());
}

/** A random permutation of 0..n-1 (Fisher–Yates), int32. */
export function randperm(n: number, opts: RandomOptions = {}): NDArray {
  if (!Number.isInteger(n) || n < 0) {
    throw new ArgumentError(`randperm: n must be a non-negative integer, got ${describeValue(n)}`);
  }
  const rng = checkRng("randperm", opts.rng);
  const data = new Int32Array(n);
  for (let i = 0; i < n; i++) data[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = data[i] as number;
    data[i] = data[j] as number;
    data[j] = t;
  }
  return new NDArray(data, [n]);
}
