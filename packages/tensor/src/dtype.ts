import { ArgumentError, DTypeError, describeValue } from "./errors.js";

/** The element types an NDArray can hold. `bool` is stored as a Uint8Array of 0/1. */
export type DType = "float32" | "float64" | "int32" | "bool";

export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

export const DTYPES: readonly DType[] = ["bool", "int32", "float32", "float64"];

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** Allocates a zeroed typed array for `dtype`. */
export function allocate(dtype: DType, size: number): TypedArray {
  if (!(size >= 0) || size % 1 !== 0) {
    throw new ArgumentError(`allocate: size must be a non-negative integer, got ${describeValue(size)}`);
  }
  switch (dtype) {
    case "float32":
      return new Float32Array(size);
    case "float64":
      return new Float64Array(size);
    case "int32":
      return new Int32Array(size);
    case "bool":
      return new Uint8Array(size);
    default:
      throw new DTypeError(`allocate: unknown dtype ${JSON.stringify(dtype)}; expected one of ${DTYPES.join(", ")}`);
  }
}

/** The dtype a typed array stores. */
export function dtypeOf(data: TypedArray): DType {
  // Exact constructor checks first: cheaper than instanceof on the hot path of every new array.
  const ctor = data.constructor;
  if (ctor === Float32Array) return "float32";
  if (ctor === Float64Array) return "float64";
  if (ctor === Int32Array) return "int32";
  if (ctor === Uint8Array) return "bool";
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Float64Array) return "float64";
  if (data instanceof Int32Array) return "int32";
  if (data instanceof Uint8Array) return "bool";
  throw new DTypeError(
    `dtypeOf: expected a Float32Array, Float64Array, Int32Array or Uint8Array, got ${describeValue(data)}`,
  );
}

/** Checks that `dtype` is one of the supported names. */
export function checkDType(op: string, dtype: unknown): DType {
  if (dtype === "float32" || dtype === "float64" || dtype === "int32" || dtype === "bool") return dtype;
  throw new DTypeError(`${op}: unknown dtype ${JSON.stringify(dtype)}; expected one of ${DTYPES.join(", ")}`);
}

/** PyTorch-style promotion within bool < int32 < float32 < float64. */
export function promoteTypes(a: DType, b: DType): DType {
  const ra = Object.hasOwn(RANK, a) ? RANK[a] : undefined;
  const rb = Object.hasOwn(RANK, b) ? RANK[b] : undefined;
  if (ra === undefined || rb === undefined) {
    const bad = ra === undefined ? a : b;
    throw new DTypeError(`promoteTypes: unknown dtype ${JSON.stringify(bad)}; expected one of ${DTYPES.join(", ")}`);
  }
  return ra >= rb ? a : b;
}

export function isFloat(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64";
}

/** The float dtype an op on `dtype` computes in: floats stay, integers and bools become float32. */
export function floatDType(dtype: DType): DType {
  return isFloat(dtype) ? dtype : "float32";
}

/** Converts a JS number to what storing it in `dtype` keeps (rounding for float32, truncation for int32). */
export function castScalar(value: number, dtype: DType): number {
  switch (dtype) {
    case "float32":
      return Math.fround(value);
    case "int32":
      return value | 0;
    case "bool":
      return value ? 1 : 0;
    default:
      return value;
  }
}
