/**
 * The safetensors format (https://github.com/huggingface/safetensors), read and written byte for byte
 * like the reference implementation:
 *
 * ```text
 * [8 bytes]  N, the header length, little-endian u64
 * [N bytes]  UTF-8 JSON: {"__metadata__": {k: v}, name: {"dtype", "shape", "data_offsets": [begin, end]}, ...},
 *            padded with spaces to a multiple of 8
 * [rest]     the tensors' little-endian, row-major bytes, back to back; offsets are relative to here
 * ```
 *
 * Writing follows the reference's layout: tensors sorted by dtype alignment (F64, F32, I32, BOOL),
 * then by name, `__metadata__` first, compact JSON; metadata keys are written sorted (the reference
 * keeps them in a hash map, so it has no fixed order). So serialize → parse → serialize is byte-stable.
 *
 * Reading validates the whole file before returning anything and throws `SafetensorsError` on any
 * problem. It is stricter than JSON.parse where a lenient reading could be silently wrong: a key repeated
 * in any object of the header, and a name holding a lone surrogate (which UTF-8 text cannot carry and the
 * reference rejects), are errors. F32, F64, I32 and BOOL load as float32, float64, int32 and bool; F16 and BF16 are accepted
 * and widened to float32 (exactly: every half and bfloat16 value is a float32), so writing such a file
 * back gives F32. Other dtypes (I8, U8, I16, U16, U32, I64, U64, F8_*) are rejected by name.
 *
 * The core functions use no Node API; `saveSafetensors`/`loadSafetensors` import `node:fs/promises` lazily.
 * @module
 */
import { Tensor } from "@typegrad/autograd";
import { allocate, type DType, fmtShape, NDArray, type TypedArray } from "@typegrad/tensor";

/** A malformed safetensors file, or a state dict that cannot be written as one. */
export class SafetensorsError extends TypeError {
  override name = "SafetensorsError";
}

/** Headers longer than this are refused, like the reference (`MAX_HEADER_SIZE`). */
export const MAX_HEADER_SIZE = 100_000_000;

const METADATA_KEY = "__metadata__";

/** Per safetensors dtype: bytes per element and its rank in the reference's alignment order. */
const FORMAT_DTYPES = {
  BOOL: { size: 1, rank: 0 },
  U8: { size: 1, rank: 1 },
  I8: { size: 1, rank: 2 },
  F8_E5M2: { size: 1, rank: 3 },
  F8_E4M3: { size: 1, rank: 4 },
  I16: { size: 2, rank: 5 },
  U16: { size: 2, rank: 6 },
  F16: { size: 2, rank: 7 },
  BF16: { size: 2, rank: 8 },
  I32: { size: 4, rank: 9 },
  U32: { size: 4, rank: 10 },
  F32: { size: 4, rank: 11 },
  F64: { size: 8, rank: 12 },
  I64: { size: 8, rank: 13 },
  U64: { size: 8, rank: 14 },
} as const;
type FormatDType = keyof typeof FORMAT_DTYPES;

const TO_FORMAT: Record<DType, FormatDType> = { float32: "F32", float64: "F64", int32: "I32", bool: "BOOL" };
const FROM_FORMAT: Partial<Record<FormatDType, DType>> = {
  F32: "float32",
  F64: "float64",
  I32: "int32",
  BOOL: "bool",
  F16: "float32",
  BF16: "float32",
};

/** True when this machine stores numbers little-endian (checked once). */
let hostLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// TextEncoder/TextDecoder exist in browsers, Node, Deno and Bun, but are not in the ES2022 lib typings.
interface Utf8Codec {
  TextEncoder: new () => { encode(s: string): Uint8Array };
  TextDecoder: new (label: string, opts: { fatal: boolean; ignoreBOM: boolean }) => { decode(b: Uint8Array): string };
}
const codec = globalThis as unknown as Utf8Codec;
const utf8 = (s: string): Uint8Array => new codec.TextEncoder().encode(s);

/** The header as parsed: tensors plus the optional `__metadata__` map. */
export interface SafetensorsContents {
  tensors: Record<string, NDArray>;
  /** `undefined` when the file has no `__metadata__` entry. */
  metadata: Record<string, string> | undefined;
}

/**
 * Writes a state dict (NDArrays or Tensors; views are fine) as safetensors bytes.
 *
 * @example
 * ```ts
 * const bytes = serializeSafetensors({ w: nd.ones([2, 2]) }, { format: "pt" });
 * parseSafetensors(bytes).w.toArray(); // [[1, 1], [1, 1]]
 * ```
 */
export function serializeSafetensors(
  stateDict: Record<string, NDArray | Tensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  if (typeof stateDict !== "object" || stateDict === null || Array.isArray(stateDict)) {
    throw new SafetensorsError(`serializeSafetensors: expected a state dict object of name -> NDArray | Tensor`);
  }
  if (metadata !== undefined) checkMetadata("serializeSafetensors", metadata);

  const entries = Object.entries(stateDict).map(([name, value]) => {
    if (name === METADATA_KEY) {
      throw new SafetensorsError(`serializeSafetensors: "${METADATA_KEY}" is reserved and cannot name a tensor`);
    }
    if (!isWellFormed(name))
      throw new SafetensorsError(`serializeSafetensors: name ${JSON.stringify(name)} is not valid UTF-16`);
    const array = value instanceof Tensor ? value.data : value;
    if (!(array instanceof NDArray)) {
      throw new SafetensorsError(
        `serializeSafetensors: "${name}" is ${describe(value)}; expected an NDArray or a Tensor`,
      );
    }
    const format = TO_FORMAT[array.dtype];
    return { name, key: utf8(name), array, format, rank: FORMAT_DTYPES[format].rank };
  });
  entries.sort((a, b) => b.rank - a.rank || compareBytes(a.key, b.key));

  let offset = 0;
  const header: string[] = [];
  if (metadata !== undefined) {
    const keys = Object.keys(metadata).sort((a, b) => compareBytes(utf8(a), utf8(b)));
    const fields = keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`);
    header.push(`${JSON.stringify(METADATA_KEY)}:{${fields.join(",")}}`);
  }
  const chunks: Uint8Array[] = [];
  for (const e of entries) {
    const bytes = toLittleEndianBytes(e.array);
    const end = offset + bytes.length;
    header.push(
      `${JSON.stringify(e.name)}:{"dtype":"${e.format}","shape":[${e.array.shape.join(",")}],"data_offsets":[${offset},${end}]}`,
    );
    chunks.push(bytes);
    offset = end;
  }
  const json = utf8(`{${header.join(",")}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;

  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLength % 2 ** 32, true);
  view.setUint32(4, Math.floor(headerLength / 2 ** 32), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Reads safetensors bytes into NDArrays (each with its own buffer), after validating the whole file.
 * Throws `SafetensorsError` naming the problem; never returns a partial result.
 *
 * @example
 * ```ts
 * const sd = parseSafetensors(serializeSafetensors({ b: nd.zeros([3]) }));
 * sd.b.shape; // [3]
 * ```
 */
export function parseSafetensors(bytes: Uint8Array): Record<string, NDArray> {
  return parseSafetensorsWithMetadata(bytes).tensors;
}

/**
 * Like `parseSafetensors`, also returning the `__metadata__` string map (`undefined` when absent).
 *
 * @example
 * ```ts
 * const { metadata } = parseSafetensorsWithMetadata(serializeSafetensors({}, { format: "pt" }));
 * metadata; // { format: "pt" }
 * ```
 */
export function parseSafetensorsWithMetadata(bytes: Uint8Array): SafetensorsContents {
  if (!(bytes instanceof Uint8Array)) {
    throw new SafetensorsError(`parseSafetensors: expected a Uint8Array, got ${describe(bytes)}`);
  }
  if (bytes.length < 8) {
    throw new SafetensorsError(
      `parseSafetensors: file is ${bytes.length} bytes, too short for the 8-byte header length`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  const n = hi * 2 ** 32 + lo;
  if (hi !== 0 || n > MAX_HEADER_SIZE) {
    throw new SafetensorsError(
      `parseSafetensors: header length ${hi === 0 ? n : `${hi} * 2^32 + ${lo}`} exceeds the ${MAX_HEADER_SIZE}-byte limit`,
    );
  }
  if (n > bytes.length - 8) {
    throw new SafetensorsError(
      `parseSafetensors: header length ${n} runs past the end of the file (${bytes.length - 8} bytes after the length field); the file is truncated or not safetensors`,
    );
  }

  let text: string;
  try {
    text = new codec.TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw new SafetensorsError("parseSafetensors: header is not valid UTF-8");
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(`parseSafetensors: header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw new SafetensorsError(`parseSafetensors: header must be a JSON object, got ${describe(header)}`);
  }
  // JSON.parse keeps the last of repeated keys; other readers may keep the first, so refuse them.
  const repeated = findDuplicateKey(text);
  if (repeated !== null) {
    throw new SafetensorsError(
      `parseSafetensors: header repeats the key ${JSON.stringify(repeated)}; a key may appear only once per JSON object`,
    );
  }

  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  let metadata: Record<string, string> | undefined;
  const infos: { name: string; format: FormatDType; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      if (raw !== null) metadata = checkMetadata("parseSafetensors", raw);
      continue;
    }
    if (!isWellFormed(name)) {
      throw new SafetensorsError(
        `parseSafetensors: tensor name ${JSON.stringify(name)} holds a lone surrogate, which is not valid Unicode`,
      );
    }
    infos.push(checkTensorInfo(name, raw, dataLength));
  }

  // The tensors must tile the data section exactly: no overlap, no hole, nothing after the last one.
  infos.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous = "";
  for (const info of infos) {
    if (info.begin < covered) {
      throw new SafetensorsError(
        `parseSafetensors: "${info.name}" data_offsets [${info.begin},${info.end}] overlap "${previous}", which ends at ${covered}`,
      );
    }
    if (info.begin > covered) {
      throw new SafetensorsError(
        `parseSafetensors: bytes ${covered}..${info.begin} of the data section belong to no tensor (hole before "${info.name}")`,
      );
    }
    covered = info.end;
    previous = info.name;
  }
  if (covered !== dataLength) {
    throw new SafetensorsError(
      `parseSafetensors: the data section is ${dataLength} bytes but the tensors cover only ${covered}; ${dataLength - covered} trailing bytes belong to no tensor`,
    );
  }

  const tensors: Record<string, NDArray> = {};
  for (const info of infos) {
    const array = decodeTensor(
      info.name,
      info.format,
      info.shape,
      bytes.subarray(dataStart + info.begin, dataStart + info.end),
    );
    Object.defineProperty(tensors, info.name, { value: array, enumerable: true, writable: true, configurable: true });
  }
  return { tensors, metadata };
}

/**
 * Writes a state dict to `path` as safetensors (Node only). The bytes go to a temporary file in the same
 * folder that is then renamed over `path`, so a crash never leaves a half-written file.
 *
 * @example
 * ```ts
 * await saveSafetensors("model.safetensors", model.stateDict(), { epoch: "3" });
 * ```
 */
export async function saveSafetensors(
  path: string,
  stateDict: Record<string, NDArray | Tensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  const bytes = serializeSafetensors(stateDict, metadata);
  const fs = await nodeFs();
  const tmp = `${path}.${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}.tmp`;
  try {
    const handle = await fs.open(tmp, "wx");
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}

/**
 * Reads a safetensors file (Node only). File-system errors pass through; format errors are
 * `SafetensorsError`s that name the path.
 *
 * @example
 * ```ts
 * model.loadStateDict(await loadSafetensors("model.safetensors"));
 * ```
 */
export async function loadSafetensors(path: string): Promise<Record<string, NDArray>> {
  const fs = await nodeFs();
  const bytes = await fs.readFile(path);
  try {
    return parseSafetensors(bytes);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new SafetensorsError(`${path}: ${e.message}`);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------------

interface NodeFs {
  open(
    path: string,
    flags: string,
  ): Promise<{ writeFile(b: Uint8Array): Promise<void>; sync(): Promise<void>; close(): Promise<void> }>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, opts: { force: boolean }): Promise<void>;
  readFile(path: string): Promise<Uint8Array>;
}

async function nodeFs(): Promise<NodeFs> {
  // A computed specifier keeps bundlers from pulling `node:fs` into browser builds.
  const specifier = "node:fs/promises";
  return (await import(/* @vite-ignore */ specifier)) as NodeFs;
}

function checkMetadata(op: string, raw: unknown): Record<string, string> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new SafetensorsError(`${op}: "${METADATA_KEY}" must be an object of string -> string, got ${describe(raw)}`);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== "string") {
      throw new SafetensorsError(
        `${op}: "${METADATA_KEY}" value for ${JSON.stringify(k)} must be a string, got ${describe(v)}`,
      );
    }
    if (!isWellFormed(k) || !isWellFormed(v)) {
      throw new SafetensorsError(`${op}: "${METADATA_KEY}" entry ${JSON.stringify(k)} is not valid UTF-16`);
    }
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function checkTensorInfo(
  name: string,
  raw: unknown,
  dataLength: number,
): { name: string; format: FormatDType; shape: number[]; begin: number; end: number } {
  const where = `parseSafetensors: tensor ${JSON.stringify(name)}`;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new SafetensorsError(
      `${where}: entry must be an object with dtype, shape and data_offsets, got ${describe(raw)}`,
    );
  }
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (typeof dtype !== "string" || !Object.hasOwn(FORMAT_DTYPES, dtype)) {
    throw new SafetensorsError(`${where}: unknown dtype ${JSON.stringify(dtype)}`);
  }
  const format = dtype as FormatDType;
  if (FROM_FORMAT[format] === undefined) {
    throw new SafetensorsError(
      `${where}: dtype ${format} is not supported; typegrad reads F32, F64, I32, BOOL (and F16/BF16 as float32)`,
    );
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SafetensorsError(
      `${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`,
    );
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    offsets[1] < offsets[0]
  ) {
    throw new SafetensorsError(
      `${where}: data_offsets must be [begin, end] with integers 0 <= begin <= end, got ${JSON.stringify(offsets)}`,
    );
  }
  const [begin, end] = offsets as [number, number];
  if (end > dataLength) {
    throw new SafetensorsError(
      `${where}: data_offsets [${begin},${end}] run past the ${dataLength}-byte data section (file truncated?)`,
    );
  }
  // Count bytes without losing precision: past 2^53 the entry is wrong anyway.
  const itemsize = FORMAT_DTYPES[format].size;
  let nbytes = shape.includes(0) ? 0 : itemsize;
  for (const d of shape as number[]) {
    nbytes *= d;
    if (nbytes > Number.MAX_SAFE_INTEGER) break;
  }
  if (nbytes !== end - begin) {
    const needs = nbytes > Number.MAX_SAFE_INTEGER ? "more than 2^53" : String(nbytes);
    throw new SafetensorsError(
      `${where}: shape ${fmtShape(shape as number[])} of ${format} needs ${needs} bytes but data_offsets [${begin},${end}] hold ${end - begin}`,
    );
  }
  return { name, format, shape: (shape as number[]).map((d) => d + 0), begin, end }; // + 0 turns -0 into 0
}

function decodeTensor(name: string, format: FormatDType, shape: number[], raw: Uint8Array): NDArray {
  const dtype = FROM_FORMAT[format] as DType;
  const itemsize = FORMAT_DTYPES[format].size;
  const count = raw.length / itemsize;
  const out = allocate(dtype, count);
  if (format === "F16" || format === "BF16") {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < count; i++) {
      const h = view.getUint16(2 * i, true);
      out[i] = format === "F16" ? halfToFloat(h) : bfloat16ToFloat(h);
    }
  } else {
    const target = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    target.set(raw);
    if (!hostLittleEndian) swapBytes(target, itemsize);
    if (format === "BOOL") {
      for (let i = 0; i < count; i++) {
        if (out[i] !== 0 && out[i] !== 1) {
          throw new SafetensorsError(
            `parseSafetensors: tensor ${JSON.stringify(name)}: BOOL element ${i} is byte ${out[i]}; expected 0 or 1`,
          );
        }
      }
    }
  }
  return new NDArray(out, shape);
}

/** The array's elements, row-major, as little-endian bytes (a fresh buffer). */
function toLittleEndianBytes(array: NDArray): Uint8Array {
  const values: TypedArray = array.toTypedArray();
  const bytes = new Uint8Array(values.byteLength);
  bytes.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  if (array.dtype === "bool") {
    for (let i = 0; i < bytes.length; i++) bytes[i] = bytes[i] ? 1 : 0;
  } else if (!hostLittleEndian) {
    swapBytes(bytes, values.BYTES_PER_ELEMENT);
  }
  return bytes;
}

/** Reverses the byte order of each `itemsize`-byte element in place (big-endian hosts). */
function swapBytes(bytes: Uint8Array, itemsize: number): void {
  if (itemsize === 1) return;
  for (let i = 0; i + itemsize <= bytes.length; i += itemsize) {
    for (let a = i, b = i + itemsize - 1; a < b; a++, b--) {
      const t = bytes[a] as number;
      bytes[a] = bytes[b] as number;
      bytes[b] = t;
    }
  }
}

/**
 * Test hooks, not public API: `swapBytes`, and `setHostLittleEndian` to run the big-endian path on any
 * host (`null` restores the detected order).
 * @internal
 */
export const _testing = {
  swapBytes,
  setHostLittleEndian(little: boolean | null): void {
    hostLittleEndian = little ?? new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  },
};

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function bfloat16ToFloat(h: number): number {
  u32[0] = (h << 16) >>> 0;
  return f32[0] as number;
}

/** Byte-wise comparison: the order Rust's `String` sorts names in (UTF-8 bytes). */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

/**
 * The first key that some object of `text` (known to be valid JSON) repeats, or null. One linear pass
 * with an explicit stack, so any nesting depth is fine.
 */
function findDuplicateKey(text: string): string | null {
  const objects: (Set<string> | null)[] = []; // one entry per open object (its keys) or array (null)
  let wantKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      let escaped = false;
      for (i++; text.charCodeAt(i) !== 0x22; i++) {
        if (text.charCodeAt(i) === 0x5c /* \ */) {
          escaped = true;
          i++;
        }
      }
      const keys = objects[objects.length - 1];
      if (wantKey && keys) {
        const key = escaped ? (JSON.parse(text.slice(start, i + 1)) as string) : text.slice(start + 1, i);
        if (keys.has(key)) return key;
        keys.add(key);
        wantKey = false;
      }
    } else if (c === 0x7b /* { */) {
      objects.push(new Set());
      wantKey = true;
    } else if (c === 0x5b /* [ */) {
      objects.push(null);
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      objects.pop();
    } else if (c === 0x2c /* , */) {
      wantKey = Boolean(objects[objects.length - 1]);
    }
  }
  return null;
}

/** False when `s` holds a lone surrogate (which UTF-8 cannot encode). */
function isWellFormed(s: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return `an object (${(v as object).constructor?.name ?? "null prototype"})`;
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  return `${typeof v} ${String(v)}`;
}
