import { ArgumentError, describeValue } from "@typegrad/tensor";

/** Whether ops record a graph. Off inside `noGrad` and during a plain `backward()`. */
let enabled = true;

/** True when ops currently record a graph for backward. @example `noGrad(() => isGradEnabled()); // false` */
export function isGradEnabled(): boolean {
  return enabled;
}

function withMode<T>(op: string, mode: boolean, fn: () => T): T {
  if (typeof fn !== "function") throw new ArgumentError(`${op}: expected a function, got ${describeValue(fn)}`);
  const prev = enabled;
  enabled = mode;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}

/**
 * Runs `fn` without recording a graph (inference, optimizer updates).
 *
 * @example
 * ```ts
 * const y = noGrad(() => w.mul(2)); // y.requiresGrad === false
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  return withMode("noGrad", false, fn);
}

/** Runs `fn` with graph recording on, even inside `noGrad`. @example `noGrad(() => enableGrad(() => x.mul(2)));` */
export function enableGrad<T>(fn: () => T): T {
  return withMode("enableGrad", true, fn);
}

/** Sets grad mode globally (prefer `noGrad`/`enableGrad`, which restore it). */
export function setGradEnabled(mode: boolean): void {
  if (typeof mode !== "boolean")
    throw new ArgumentError(`setGradEnabled: expected a boolean, got ${describeValue(mode)}`);
  enabled = mode;
}
