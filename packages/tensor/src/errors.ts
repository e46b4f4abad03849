/**
 * Error classes thrown by typegrad. Every message names the op, the offending
 * shapes or values, and what was expected.
 *
 * @example
 * ```ts
 * try { matmul(zeros([2, 3]), zeros([4, 5])); } catch (e) { e instanceof ShapeError; } // true
 * ```
 */

/** A shape, rank or broadcasting mismatch. */
export class ShapeError extends RangeError {
  override name = "ShapeError";
}

/** A dim or index outside its valid range. */
export class IndexError extends RangeError {
  override name = "IndexError";
}

/** An unsupported or mismatched dtype. */
export class DTypeError extends TypeError {
  override name = "DTypeError";
}

/** An argument of the wrong kind or with an invalid value (NaN lr, negative size, ...). */
export class ArgumentError extends TypeError {
  override name = "ArgumentError";
}

/** An operation that is invalid in the current state: backward through a freed graph, a saved tensor changed in place. */
export class StateError extends TypeError {
  override name = "StateError";
}

/** Formats a shape the way error messages print it: `[2,3]`. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}
