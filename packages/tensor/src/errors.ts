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

/**
 * Describes a value for an error message: `null`, `the number NaN`, `an array of length 3`,
 * `a Float32Array of length 4`, `an NDArray of shape [2,3] (float32)`, `a Tensor of shape [2]`.
 */
export function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  switch (typeof v) {
    case "number":
      return `the number ${v}`;
    case "string":
      return `the string ${JSON.stringify(v)}`;
    case "boolean":
      return `the boolean ${v}`;
    case "function":
      return "a function";
    case "object": {
      const name = (v as object).constructor?.name ?? "Object";
      const article = /^(?:[AEIOU]|ND)/.test(name) ? "an" : "a";
      const shape = (v as { shape?: unknown }).shape;
      if (Array.isArray(shape)) {
        const dtype = (v as { dtype?: unknown }).dtype;
        return `${article} ${name} of shape ${fmtShape(shape)}${typeof dtype === "string" ? ` (${dtype})` : ""}`;
      }
      if (ArrayBuffer.isView(v)) return `${article} ${name} of length ${(v as unknown as { length: number }).length}`;
      return name === "Object" ? "an object" : `${article} ${name}`;
    }
    default:
      return typeof v;
  }
}
