import type { Iteration } from "./frameworks/types.js";

export interface Budget {
  /** Most warm-up iterations (at least one always runs). */
  warmupMax: number;
  /** Stop warming up once this much time has been spent. */
  warmupMs: number;
  /** Keep timing until this much time has been spent (and the minimum count is reached). */
  timedMs: number;
  /** Most timed iterations. */
  timedMax: number;
}

/** Warm-up runs long enough for the JIT to settle on fast workloads, and once on very slow ones. */
export const DEFAULT_BUDGET: Budget = { warmupMax: 200, warmupMs: 1500, timedMs: 3000, timedMax: 500 };

export interface Measurement {
  warmupMs: number[];
  timedMs: number[];
  /** The value of every iteration, warm-up first. */
  values: number[];
}

/**
 * Minimum timed iterations: 3, but fewer for very slow iterations (2 above 2 s, 1 above 10 s) so
 * the slow peers finish; the runner's rounds still give at least 3 samples per cell.
 */
export function minTimedIterations(lastWarmupMs: number): number {
  if (lastWarmupMs > 10_000) return 1;
  if (lastWarmupMs > 2_000) return 2;
  return 3;
}

export function measure(run: Iteration, budget: Budget = DEFAULT_BUDGET): Measurement {
  const warmupMs: number[] = [];
  const timedMs: number[] = [];
  const values: number[] = [];
  let spent = 0;
  while (warmupMs.length === 0 || (warmupMs.length < budget.warmupMax && spent < budget.warmupMs)) {
    const t0 = performance.now();
    values.push(run());
    const dt = performance.now() - t0;
    warmupMs.push(dt);
    spent += dt;
  }
  const minTimed = minTimedIterations(warmupMs[warmupMs.length - 1]!);
  spent = 0;
  while (timedMs.length < minTimed || (timedMs.length < budget.timedMax && spent < budget.timedMs)) {
    const t0 = performance.now();
    values.push(run());
    const dt = performance.now() - t0;
    timedMs.push(dt);
    spent += dt;
  }
  return { warmupMs, timedMs, values };
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
