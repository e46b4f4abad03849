/**
 * Seeded fuzzing of `parseSafetensors` against an independent reference model of the format.
 *
 * Every case is a byte string built from a small valid file by truncation, byte flips, edited header
 * lengths, data_offsets, dtypes and shapes, duplicate JSON keys, non-object headers, or a random JSON
 * header. For each one:
 *
 * - `parseSafetensorsWithMetadata` either throws a `SafetensorsError` or returns; any other exception fails;
 * - it accepts exactly the files the reference model (`oracle` below: the format's rules written out
 *   again, independently) accepts;
 * - an accepted file re-serializes byte-identically to the oracle's canonical form of it: same names,
 *   dtypes, shapes, metadata and tensor bytes, so nothing was lost, moved or silently changed. A file
 *   that already was canonical (every mutation that leaves the header alone) re-serializes to itself;
 * - it finishes within a time bound (no case may hang or go quadratic).
 */
import { NDArray, Rng } from "@typegrad/tensor";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  MAX_HEADER_SIZE,
  parseSafetensorsWithMetadata,
  SafetensorsError,
  serializeSafetensors,
} from "../src/safetensors.js";

/** Per-case time bound, in milliseconds (each case takes well under one). */
const CASE_MS = 250;

const enc = new TextEncoder();

// ---------------------------------------------------------------------------------------------------
// The reference model

const SIZES: Record<string, number> = { BOOL: 1, F16: 2, BF16: 2, I32: 4, F32: 4, F64: 8 };
/** Write order: by dtype alignment, largest first (F16/BF16 are widened to F32). */
const WRITE_RANK: Record<string, number> = { F64: 3, F32: 2, F16: 2, BF16: 2, I32: 1, BOOL: 0 };

type Verdict = { ok: false; why: string } | { ok: true; canonical: Uint8Array };

/** True when some JSON object in `text` (already known to be valid JSON) repeats a key. */
function hasDuplicateKey(text: string): boolean {
  const objects: (Set<string> | null)[] = []; // null for arrays
  let wantKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      for (i++; text[i] !== '"'; i++) if (text[i] === "\\") i++;
      const keys = objects[objects.length - 1];
      if (keys && wantKey) {
        const key = JSON.parse(text.slice(start, i + 1)) as string;
        if (keys.has(key)) return true;
        keys.add(key);
        wantKey = false;
      }
    } else if (c === "{") {
      objects.push(new Set());
      wantKey = true;
    } else if (c === "[") {
      objects.push(null);
    } else if (c === "}" || c === "]") {
      objects.pop();
    } else if (c === ",") {
      wantKey = objects[objects.length - 1] != null;
    }
  }
  return false;
}

/** `String.prototype.isWellFormed` (Node 20+; not yet in this project's TypeScript lib). */
const wellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

function utf8Compare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

function halfToFloat(h: number): number {
  const e = (h >> 10) & 31;
  const f = h & 1023;
  const s = h >> 15 ? -1 : 1;
  if (e === 31) return f ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return e === 0 ? s * 2 ** -14 * (f / 1024) : s * 2 ** (e - 15) * (1 + f / 1024);
}

/** The safetensors rules, written out independently of src/safetensors.ts. */
function oracle(bytes: Uint8Array): Verdict {
  const no = (why: string): Verdict => ({ ok: false, why });
  if (bytes.length < 8) return no("shorter than the length field");
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_SIZE)) return no("header length over the limit");
  if (8n + n > BigInt(bytes.length)) return no("header runs past the end");
  const headerEnd = 8 + Number(n);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, headerEnd));
  } catch {
    return no("not UTF-8");
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch {
    return no("not JSON");
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) return no("not an object");
  if (hasDuplicateKey(text)) return no("duplicate key");
  const dataLength = bytes.length - headerEnd;
  let metadata: [string, string][] | null = null;
  const infos: { name: string; dtype: string; shape: number[]; begin: number; end: number }[] = [];
  for (const name of Object.keys(header)) {
    const v = (header as Record<string, unknown>)[name];
    if (name === "__metadata__") {
      if (v === null) continue;
      if (typeof v !== "object" || Array.isArray(v)) return no("metadata not an object");
      metadata = [];
      for (const [k, s] of Object.entries(v as object)) {
        if (typeof s !== "string" || !wellFormed(k) || !wellFormed(s)) return no("bad metadata entry");
        metadata.push([k, s]);
      }
      continue;
    }
    if (!wellFormed(name)) return no("name has a lone surrogate");
    if (typeof v !== "object" || v === null || Array.isArray(v)) return no("entry not an object");
    const { dtype, shape, data_offsets: offsets } = v as Record<string, unknown>;
    if (typeof dtype !== "string" || !Object.hasOwn(SIZES, dtype)) return no("dtype");
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) return no("shape");
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      return no("offsets");
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end || end > dataLength) return no("offsets out of order or range");
    const need = shape.reduce((p: bigint, d: number) => p * BigInt(d), BigInt(SIZES[dtype] as number));
    if (need !== BigInt(end - begin)) return no("size does not match offsets");
    infos.push({ name, dtype, shape: shape.map((d: number) => d + 0), begin, end });
  }
  const byOffset = [...infos].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const info of byOffset) {
    if (info.begin !== at) return no("hole or overlap");
    at = info.end;
  }
  if (at !== dataLength) return no("trailing bytes");
  const data = (info: (typeof infos)[number]) => bytes.subarray(headerEnd + info.begin, headerEnd + info.end);
  for (const info of infos) {
    if (info.dtype === "BOOL" && data(info).some((b) => b > 1)) return no("bool byte not 0/1");
  }

  // Canonical form: metadata first (keys sorted), tensors by alignment then name, compact JSON, space padding.
  const sorted = [...infos].sort(
    (a, b) => (WRITE_RANK[b.dtype] as number) - (WRITE_RANK[a.dtype] as number) || utf8Compare(a.name, b.name),
  );
  const parts: string[] = [];
  if (metadata) {
    const fields = metadata
      .sort((a, b) => utf8Compare(a[0], b[0]))
      .map(([k, s]) => `${JSON.stringify(k)}:${JSON.stringify(s)}`);
    parts.push(`"__metadata__":{${fields.join(",")}}`);
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const info of sorted) {
    let raw = data(info);
    let dtype = info.dtype;
    if (dtype === "F16" || dtype === "BF16") {
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      const out = new Float32Array(raw.length / 2);
      for (let i = 0; i < out.length; i++) {
        const h = view.getUint16(2 * i, true);
        out[i] = dtype === "F16" ? halfToFloat(h) : new Float32Array(new Uint32Array([h << 16]).buffer)[0]!;
      }
      raw = new Uint8Array(out.buffer);
      dtype = "F32";
    }
    parts.push(
      `${JSON.stringify(info.name)}:{"dtype":"${dtype}","shape":[${info.shape.join(",")}],"data_offsets":[${offset},${offset + raw.length}]}`,
    );
    offset += raw.length;
    chunks.push(raw);
  }
  let json = `{${parts.join(",")}}`;
  json += " ".repeat((8 - (enc.encode(json).length % 8)) % 8);
  const head = enc.encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let p = 8 + head.length;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return { ok: true, canonical: out };
}

// ---------------------------------------------------------------------------------------------------
// Running a case

interface Tally {
  cases: number;
  rejected: number;
  accepted: number;
  /** Accepted and re-serialized to exactly the input bytes. */
  identical: number;
  maxMs: number;
}
const tallies = new Map<string, Tally>();

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** Problems found by `check` in the current test (reported together at its end). */
const failures: string[] = [];

function check(category: string, bytes: Uint8Array, what: string): void {
  const tally = tallies.get(category) ?? { cases: 0, rejected: 0, accepted: 0, identical: 0, maxMs: 0 };
  tallies.set(category, tally);
  tally.cases++;
  const label = `${category} #${tally.cases} (${what})`;
  const t0 = performance.now();
  let result: ReturnType<typeof parseSafetensorsWithMetadata> | undefined;
  let error: unknown;
  try {
    result = parseSafetensorsWithMetadata(bytes);
  } catch (e) {
    error = e;
  }
  const ms = performance.now() - t0;
  tally.maxMs = Math.max(tally.maxMs, ms);
  if (ms > CASE_MS) failures.push(`${label}: took ${ms.toFixed(1)} ms (bound ${CASE_MS} ms)`);
  const verdict = oracle(bytes);
  if (error !== undefined) {
    tally.rejected++;
    if (!(error instanceof SafetensorsError))
      failures.push(`${label}: threw ${String(error)} instead of a SafetensorsError`);
    else if (verdict.ok) failures.push(`${label}: rejected a valid file: ${error.message}`);
    return;
  }
  tally.accepted++;
  if (!verdict.ok) {
    failures.push(`${label}: accepted a file the reference rejects (${verdict.why})`);
    return;
  }
  const again = serializeSafetensors(result!.tensors, result!.metadata);
  if (!equalBytes(again, verdict.canonical)) {
    failures.push(`${label}: accepted, but re-serializes differently from the reference's reading of it`);
    return;
  }
  // fixed point: parsing the re-serialization and writing it again changes nothing
  const twice = parseSafetensorsWithMetadata(again);
  if (!equalBytes(serializeSafetensors(twice.tensors, twice.metadata), again))
    failures.push(`${label}: not a fixed point`);
  if (equalBytes(again, bytes)) tally.identical++;
}

afterEach(() => {
  const found = failures.splice(0);
  expect(found.slice(0, 12), `${found.length} failing cases`).toEqual([]);
});

afterAll(() => {
  const rows = [...tallies].map(([k, t]) => ({ category: k, ...t, maxMs: Number(t.maxMs.toFixed(2)) }));
  const total = rows.reduce((s, r) => s + r.cases, 0);
  console.log(`safetensors fuzz: ${total} cases`);
  console.table(rows);
});

// ---------------------------------------------------------------------------------------------------
// Inputs

/** A small valid file with every writable dtype, an empty tensor, a scalar and metadata. */
const BASE_TENSORS: Record<string, NDArray> = {
  "layer.weight": new NDArray(new Float32Array([1.5, -2, 0.25, 3, Number.NaN, -0]), [2, 3]),
  "layer.bias": new NDArray(new Float64Array([0.1, -1e-300]), [2]),
  ids: new NDArray(new Int32Array([-1, 0, 2147483647]), [3]),
  mask: new NDArray(new Uint8Array([1, 0, 1, 1]), [4]),
  empty: new NDArray(new Float32Array(0), [0, 4]),
  scalar: new NDArray(new Float32Array([-0.5]), []),
};
const BASE = serializeSafetensors(BASE_TENSORS, { format: "pt", note: "fuzz" });
const BASE_N = Number(new DataView(BASE.buffer).getBigUint64(0, true));
const BASE_HEADER = JSON.parse(new TextDecoder().decode(BASE.subarray(8, 8 + BASE_N))) as Record<
  string,
  Record<string, unknown>
>;
const BASE_DATA = BASE.subarray(8 + BASE_N);

/** A file from a header string (padded with spaces to a multiple of 8 unless `pad` is false) and data. */
function build(header: string, data: Uint8Array = new Uint8Array(0), pad = true): Uint8Array {
  let json = enc.encode(header);
  if (pad && json.length % 8) json = enc.encode(header + " ".repeat(8 - (json.length % 8)));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** The base file with its header object edited. */
function edited(edit: (h: Record<string, Record<string, unknown>>) => void, data: Uint8Array = BASE_DATA): Uint8Array {
  const h = structuredClone(BASE_HEADER);
  edit(h);
  return build(JSON.stringify(h), data);
}

const TENSOR_NAMES = Object.keys(BASE_HEADER).filter((k) => k !== "__metadata__");

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(0, items.length)] as T;
}

const rng = new Rng(20_240_607);

describe("fuzz: parseSafetensors accepts exactly the valid files and never fails any other way", () => {
  it("the base file is valid and canonical", () => {
    check("base", BASE, "unchanged");
    expect(tallies.get("base")?.identical).toBe(1);
  });

  it("truncation at every length", () => {
    for (let len = 0; len < BASE.length; len++) check("truncation", BASE.subarray(0, len), `first ${len} bytes`);
    expect(tallies.get("truncation")?.rejected).toBe(BASE.length);
  });

  it("random byte flips (length field, header, data)", () => {
    for (let i = 0; i < 900; i++) {
      const bytes = BASE.slice();
      const where = pick(rng, ["length", "header", "header", "data", "anywhere"] as const);
      const flips = 1 + rng.int(0, 3);
      for (let k = 0; k < flips; k++) {
        const lo = where === "data" ? 8 + BASE_N : where === "header" ? 8 : 0;
        const hi = where === "length" ? 8 : where === "header" ? 8 + BASE_N : bytes.length;
        const at = rng.int(lo, hi);
        bytes[at] = rng.next() < 0.5 ? (bytes[at] as number) ^ (1 << rng.int(0, 8)) : rng.int(0, 256);
      }
      check("byte flips", bytes, `${flips} in ${where}`);
    }
  });

  it("oversized and wrong header lengths, including values past 2^53", () => {
    const values: bigint[] = [
      0n,
      1n,
      7n,
      BigInt(BASE_N - 1),
      BigInt(BASE_N - 8),
      BigInt(BASE_N + 1),
      BigInt(BASE_N + 8),
      BigInt(BASE.length - 8),
      BigInt(BASE.length - 7),
      BigInt(BASE.length),
      2n ** 31n,
      2n ** 32n - 1n,
      2n ** 32n,
      2n ** 32n + BigInt(BASE_N), // low word still says BASE_N
      BigInt(MAX_HEADER_SIZE),
      BigInt(MAX_HEADER_SIZE + 1),
      2n ** 53n - 1n,
      2n ** 53n,
      2n ** 53n + 1n,
      2n ** 63n,
      2n ** 64n - 1n,
    ];
    for (const v of values) {
      const bytes = BASE.slice();
      new DataView(bytes.buffer).setBigUint64(0, v, true);
      check("header length", bytes, `N = ${v}`);
    }
    for (let i = 0; i < 130; i++) {
      const bytes = BASE.slice();
      const hi = rng.next() < 0.5 ? 0 : rng.nextUint32();
      const lo = rng.next() < 0.5 ? rng.int(0, BASE.length + 16) : rng.nextUint32();
      new DataView(bytes.buffer).setUint32(0, lo, true);
      new DataView(bytes.buffer).setUint32(4, hi, true);
      check("header length", bytes, `hi ${hi} lo ${lo}`);
    }
  });

  it("overlapping, out-of-bounds, reversed and malformed data_offsets", () => {
    const dataLength = BASE_DATA.length;
    const weird: unknown[] = [-1, 1.5, "8", null, true, 2 ** 53, 2 ** 64, 1e308, -0, dataLength, dataLength + 1];
    for (let i = 0; i < 300; i++) {
      const kind = pick(rng, ["reverse", "shift", "oob", "weird", "shape", "swap", "both"] as const);
      const bytes = edited((h) => {
        const name = pick(rng, TENSOR_NAMES);
        const entry = h[name]!;
        const [b, e] = entry.data_offsets as number[];
        if (kind === "reverse") entry.data_offsets = [e, b];
        else if (kind === "shift") {
          const d = rng.int(-8, 9);
          entry.data_offsets = [b! + d, e! + d];
        } else if (kind === "oob") entry.data_offsets = [b, dataLength + rng.int(1, 64)];
        else if (kind === "weird") {
          const slot = rng.int(0, 3);
          entry.data_offsets =
            slot === 2
              ? pick(rng, [[b], [b, e, e], [], "0,8", null, { 0: b, 1: e }])
              : slot === 0
                ? [pick(rng, weird), e]
                : [b, pick(rng, weird)];
        } else if (kind === "shape") entry.shape = [rng.int(0, 5), rng.int(0, 4)];
        else {
          // swap two tensors' offsets: valid when they have the same byte size (then the values move)
          const other = h[pick(rng, TENSOR_NAMES)]!;
          [entry.data_offsets, other.data_offsets] = [other.data_offsets, entry.data_offsets];
          if (kind === "both") entry.data_offsets = (entry.data_offsets as number[]).map((o) => o + rng.int(-4, 5));
        }
      });
      check("data_offsets", bytes, kind);
    }
    // two tensors on the same bytes (tied weights) and a zero-length tensor inside another's range
    check(
      "data_offsets",
      build(
        '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}',
        new Uint8Array(8),
      ),
      "aliased",
    );
    check(
      "data_offsets",
      build(
        '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}',
        new Uint8Array(8),
      ),
      "empty inside another",
    );
    check(
      "data_offsets",
      build(
        '{"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}',
        new Uint8Array(16),
      ),
      "valid, out of canonical order",
    );
  });

  it("unknown, unsupported and mistyped dtypes", () => {
    const dtypes: unknown[] = [
      "I8",
      "U8",
      "I16",
      "U16",
      "U32",
      "I64",
      "U64",
      "F8_E5M2",
      "F8_E4M3",
      "f32",
      "float32",
      "",
      " F32",
      "F32 ",
      "F128",
      "C64",
      "__proto__",
      "constructor",
      "toString",
      "hasOwnProperty",
      4,
      null,
      ["F32"],
      { F32: 1 },
      true,
      "F16",
      "BF16",
      "I32",
      "BOOL",
      "F64",
      "F32",
    ];
    for (let i = 0; i < 200; i++) {
      const bytes = edited((h) => {
        const entry = h[pick(rng, TENSOR_NAMES)]!;
        if (rng.next() < 0.1) delete entry.dtype;
        else
          entry.dtype =
            rng.next() < 0.8
              ? pick(rng, dtypes)
              : String.fromCharCode(...Array.from({ length: rng.int(1, 5) }, () => rng.int(32, 127)));
      });
      check("dtype", bytes, "edited dtype");
    }
    // F16 and BF16 files (widened to float32, exactly)
    for (let i = 0; i < 40; i++) {
      const data = new Uint8Array(8);
      for (let k = 0; k < 8; k++) data[k] = rng.int(0, 256);
      const dtype = rng.next() < 0.5 ? "F16" : "BF16";
      check("dtype", build(`{"h":{"dtype":"${dtype}","shape":[4],"data_offsets":[0,8]}}`, data), dtype);
    }
  });

  it("headers that are not JSON objects", () => {
    const deep = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;
    const headers = [
      "",
      " ",
      "[]",
      "null",
      "true",
      "0",
      "-1e999",
      '"str"',
      "[{}]",
      "{",
      "}",
      "{}}",
      "{} {}",
      "{}",
      '{"a":1',
      "\uFEFF{}",
      "{}\u0000",
      '{"__metadata__":null}',
      '{"__metadata__":{}}',
      '{"__metadata__":[]}',
      '{"__metadata__":"x"}',
      '{"__metadata__":{"a":1}}',
      '{"__metadata__":{"a":{"b":"c"}}}',
      '{"__metadata__":{"\\ud800":"x"}}',
      '{"\\ud800":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}',
      '{"\\udc00\\ud800":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}',
      '{"\\ud83d\\ude00":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}',
      '{"a":null}',
      '{"a":[]}',
      '{"a":"F32"}',
      '{"a":{}}',
      deep(100_000),
      `{"a":${deep(100_000)}}`,
      `{"__metadata__":{"a":"${"x".repeat(100_000)}"}}`,
    ];
    for (const h of headers) {
      check(
        "non-object header",
        build(h),
        h.length > 40 ? `${h.slice(0, 20)}... (${h.length} chars)` : JSON.stringify(h),
      );
      check("non-object header", build(h, new Uint8Array(0), false), "unpadded");
    }
    // invalid UTF-8 inside an otherwise fine header
    for (const bad of [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82]]) {
      const head = enc.encode('{"__metadata__":{"k":"');
      const tail = enc.encode('"}}');
      const json = new Uint8Array([...head, ...bad, ...tail]);
      const bytes = new Uint8Array(8 + json.length);
      new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
      bytes.set(json, 8);
      check("non-object header", bytes, `bytes ${bad.join(",")}`);
    }
  });

  it("huge shapes whose byte counts overflow, and huge ranks", () => {
    const dims = [0, 1, 2, 3, 2 ** 16, 2 ** 26, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 1e15, 1e300];
    for (let i = 0; i < 200; i++) {
      const rank = rng.int(1, 7);
      const shape = Array.from({ length: rank }, () => (rng.next() < 0.6 ? pick(rng, dims) : rng.int(0, 4)));
      const end = pick(rng, [0, 4, 8, 16]);
      const dtype = pick(rng, ["F32", "F64", "BOOL", "I32"]);
      check(
        "huge shape",
        build(
          `{"t":{"dtype":"${dtype}","shape":${JSON.stringify(shape)},"data_offsets":[0,${end}]}}`,
          new Uint8Array(end),
        ),
        JSON.stringify(shape),
      );
    }
    const ones = Array(10_000).fill(1);
    check(
      "huge shape",
      build(`{"t":{"dtype":"F32","shape":${JSON.stringify(ones)},"data_offsets":[0,4]}}`, new Uint8Array(4)),
      "rank 10000 of ones",
    );
    const twos = Array(10_000).fill(2);
    check(
      "huge shape",
      build(`{"t":{"dtype":"F32","shape":${JSON.stringify(twos)},"data_offsets":[0,4]}}`, new Uint8Array(4)),
      "rank 10000 of twos",
    );
    const zeroFirst = [0, ...Array(100).fill(2 ** 53 - 1)];
    check(
      "huge shape",
      build(`{"t":{"dtype":"F64","shape":${JSON.stringify(zeroFirst)},"data_offsets":[0,0]}}`),
      "zero then huge",
    );
  });

  it("duplicate keys anywhere in the JSON", () => {
    const entry = (t: string, off: string) => `{"dtype":"${t}","shape":[2],"data_offsets":${off}}`;
    const fixed = [
      `{"a":${entry("F32", "[0,8]")},"a":${entry("F32", "[0,8]")}}`, // the same tensor twice
      `{"a":${entry("F32", "[0,8]")},"a":${entry("I32", "[0,8]")}}`, // two readings of the same bytes
      `{"a":${entry("F32", "[0,8]")},"\\u0061":${entry("F32", "[0,8]")}}`, // the same name, escaped
      `{"a":{"dtype":"F32","dtype":"I32","shape":[2],"data_offsets":[0,8]}}`,
      `{"a":{"dtype":"F32","shape":[1],"shape":[2],"data_offsets":[0,8]}}`,
      `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4],"data_offsets":[0,8]}}`,
      `{"__metadata__":{"k":"1","k":"2"},"a":${entry("F32", "[0,8]")}}`,
      `{"__metadata__":{"k":"1"},"__metadata__":{"k":"2"},"a":${entry("F32", "[0,8]")}}`,
      `{"a":${entry("F32", "[0,8]")},"b":{"x":{"y":1,"y":2}},"b":${entry("F32", "[0,0]")}}`,
    ];
    for (const h of fixed) check("duplicate keys", build(h, new Uint8Array(8)), h.slice(0, 50));
    // and duplicates spliced into the base header at random
    for (let i = 0; i < 150; i++) {
      const text = JSON.stringify(BASE_HEADER);
      const name = pick(rng, [...TENSOR_NAMES, "__metadata__"]);
      const value = JSON.stringify(BASE_HEADER[name]);
      // sometimes spelled differently: the first character as a \uXXXX escape (the same key once parsed)
      const key =
        rng.next() < 0.3
          ? `"\\u${name.charCodeAt(0).toString(16).padStart(4, "0")}${name.slice(1)}"`
          : JSON.stringify(name);
      const copy = `${key}:${value}`;
      const at = rng.next() < 0.5 ? 1 : text.length - 1;
      const spliced = at === 1 ? `{${copy},${text.slice(1)}` : `${text.slice(0, -1)},${copy}}`;
      check("duplicate keys", build(spliced, BASE_DATA), `${name} twice`);
    }
  });

  it("random JSON headers", () => {
    const names = [
      "a",
      "b",
      "w.0",
      "w.1",
      "__metadata__",
      "__proto__",
      "constructor",
      "é",
      "😀",
      "\ud800",
      "",
      "0",
      "1",
      "toString",
    ];
    const dtypes = ["F32", "F32", "F64", "I32", "BOOL", "F16", "BF16", "I64", "U8", "f32", ""];
    const randomJson = (depth: number): unknown => {
      const r = rng.int(0, depth > 2 ? 5 : 7);
      if (r === 0) return rng.int(-5, 50);
      if (r === 1) return pick(rng, [null, true, false, 1.5, -0, 1e300]);
      if (r === 2) return pick(rng, names);
      if (r === 3) return rng.next() * 100;
      if (r === 4) return pick(rng, ["F32", "[0,8]", "shape"]);
      if (r === 5) return Array.from({ length: rng.int(0, 4) }, () => randomJson(depth + 1));
      return Object.fromEntries(
        Array.from({ length: rng.int(0, 4) }, () => [
          pick(rng, [...names, "dtype", "shape", "data_offsets"]),
          randomJson(depth + 1),
        ]),
      );
    };
    for (let i = 0; i < 1000; i++) {
      // a plan of tensors laid out back to back in a random order, then (maybe) damaged
      const count = rng.int(0, 5);
      const entries: [string, Record<string, unknown>][] = [];
      const chunks: number[][] = [];
      let offset = 0;
      for (let k = 0; k < count; k++) {
        const dtype = pick(rng, dtypes);
        const shape = Array.from({ length: rng.int(0, 3) }, () => rng.int(0, 4));
        const size = (SIZES[dtype] ?? 4) * shape.reduce((p, d) => p * d, 1);
        const bytes = Array.from({ length: size }, () =>
          dtype === "BOOL" ? (rng.next() < 0.97 ? rng.int(0, 2) : 2) : rng.int(0, 256),
        );
        entries.push([
          rng.next() < 0.8 ? `t${k}${pick(rng, ["", ".w", ".b"])}` : pick(rng, names),
          { dtype, shape, data_offsets: [offset, offset + size] },
        ]);
        chunks.push(bytes);
        offset += size;
      }
      let data = chunks.flat();
      const damage = rng.int(0, 4);
      for (let d = 0; d < damage; d++) {
        const picked = entries.length ? pick(rng, entries)[1] : null;
        const e = typeof picked === "object" && picked !== null && !Array.isArray(picked) ? picked : null;
        const what = rng.int(0, 9);
        if (e && what === 0) e.data_offsets = randomJson(2);
        else if (e && what === 1) e.shape = randomJson(2);
        else if (e && what === 2) e.dtype = randomJson(2);
        else if (e && what === 3)
          e.extra = randomJson(1); // unknown fields are ignored
        else if (e && what === 4) delete e[pick(rng, ["dtype", "shape", "data_offsets"])];
        else if (what === 5)
          data = data.concat([rng.int(0, 256)]); // a trailing byte
        else if (what === 6) data = data.slice(0, Math.max(0, data.length - rng.int(1, 4)));
        else if (what === 7) entries.push([pick(rng, names), randomJson(1) as Record<string, unknown>]);
        else entries.reverse();
      }
      const meta = rng.int(0, 5);
      if (meta === 1) entries.unshift(["__metadata__", { format: "pt", k: pick(rng, names) }]);
      else if (meta === 2) entries.push(["__metadata__", randomJson(1) as Record<string, unknown>]);
      else if (meta === 3) entries.unshift(["__metadata__", null as unknown as Record<string, unknown>]);
      // write the object by hand so names like __proto__ and duplicates survive, with random spacing
      const sp = () => pick(rng, ["", "", "", " ", "\n", "\t"]);
      const text = `{${sp()}${entries.map(([k, v]) => `${JSON.stringify(k)}${sp()}:${sp()}${JSON.stringify(v)}`).join(`,${sp()}`)}${sp()}}`;
      check(
        "random JSON",
        build(text, new Uint8Array(data), rng.next() < 0.9),
        `${entries.length} entries, ${damage} damaged`,
      );
    }
  });

  it("regressions this fuzzer found: repeated keys and lone-surrogate names are named errors", () => {
    const entry = '{"dtype":"F32","shape":[2],"data_offsets":[0,8]}';
    const messageOf = (bytes: Uint8Array): string => {
      try {
        parseSafetensorsWithMetadata(bytes);
      } catch (e) {
        expect(e).toBeInstanceOf(SafetensorsError);
        return (e as Error).message;
      }
      throw new Error("expected a SafetensorsError");
    };
    // JSON.parse would keep the second "a" (I32), a reader keeping the first would see F32: refuse both
    expect(messageOf(build(`{"a":${entry},"a":${entry.replace("F32", "I32")}}`, new Uint8Array(8)))).toBe(
      'parseSafetensors: header repeats the key "a"; a key may appear only once per JSON object',
    );
    expect(
      messageOf(build(`{"a":{"dtype":"F32","dtype":"I32","shape":[2],"data_offsets":[0,8]}}`, new Uint8Array(8))),
    ).toMatch(/repeats the key "dtype"/);
    // previously accepted, then impossible to write back
    expect(messageOf(build(`{"\\ud800x":${entry}}`, new Uint8Array(8)))).toBe(
      'parseSafetensors: tensor name "\\ud800x" holds a lone surrogate, which is not valid Unicode',
    );
  });

  it("ran at least 2,000 cases, with both outcomes well represented", () => {
    const all = [...tallies.values()];
    const total = all.reduce((s, t) => s + t.cases, 0);
    const accepted = all.reduce((s, t) => s + t.accepted, 0);
    expect(total).toBeGreaterThanOrEqual(2000);
    expect(accepted).toBeGreaterThan(200);
    expect(total - accepted).toBeGreaterThan(1000);
    // data-only byte flips keep the header canonical, so they must re-serialize to the very same bytes
    expect(tallies.get("byte flips")?.identical).toBeGreaterThan(50);
  });
});
