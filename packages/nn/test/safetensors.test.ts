/**
 * safetensors: byte-for-byte agreement with the reference layout (hand-built fixture and the reference's
 * own test vectors), byte-stable round trips, a named SafetensorsError for every malformed file, a
 * seeded fuzz loop, and the Node save/load wrappers.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tensor } from "@typegrad/autograd";
import * as nd from "@typegrad/tensor";
import { afterEach, describe, expect, it } from "vitest";
import {
  _testing,
  loadSafetensors,
  MAX_HEADER_SIZE,
  parseSafetensors,
  parseSafetensorsWithMetadata,
  SafetensorsError,
  saveSafetensors,
  serializeSafetensors,
} from "../src/safetensors.js";

const enc = new TextEncoder();

/** Assembles a file from a header string (padded with spaces to a multiple of 8 unless `pad` is false) and data. */
function build(header: string, data: Uint8Array | number[] = [], pad = true): Uint8Array {
  let json = enc.encode(header);
  if (pad && json.length % 8) json = enc.encode(header + " ".repeat(8 - (json.length % 8)));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function headerOf(bytes: Uint8Array): string {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return new TextDecoder().decode(bytes.subarray(8, 8 + n));
}

function expectError(fn: () => unknown, message: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(SafetensorsError);
  expect((thrown as Error).message).toMatch(message);
}

function sample(): Record<string, nd.NDArray> {
  return {
    "layer.weight": nd.array([
      [1.5, -2],
      [0.25, 3],
    ]),
    "layer.bias": nd.array([0.1, -0.2, 1e-30], { dtype: "float64" }),
    count: nd.array(7, { dtype: "int32" }),
    ids: nd.array([-1, 0, 2147483647, -2147483648], { dtype: "int32" }),
    mask: nd.array([true, false, true]),
    empty: nd.zeros([2, 0, 3]),
    scalar: nd.array(-0.5),
  };
}

describe("hand-built fixture", () => {
  // Exactly what the reference writes: `__metadata__` first, then tensors by dtype alignment (F64, F32,
  // I32, BOOL) and name, compact JSON with keys dtype, shape, data_offsets, padded with spaces to 8 bytes.
  const HEADER =
    '{"__metadata__":{"format":"pt"},' +
    '"bias":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},' +
    '"weight":{"dtype":"F32","shape":[2,2],"data_offsets":[16,32]},' +
    '"step":{"dtype":"I32","shape":[],"data_offsets":[32,36]},' +
    '"mask":{"dtype":"BOOL","shape":[3],"data_offsets":[36,39]}}';

  function fixture(): Uint8Array {
    const headerBytes = enc.encode(HEADER);
    const padded = Math.ceil(headerBytes.length / 8) * 8;
    const file = new Uint8Array(8 + padded + 39);
    const view = new DataView(file.buffer);
    view.setUint32(0, padded, true); // u64 little-endian: low word ...
    view.setUint32(4, 0, true); // ... then high word
    file.set(headerBytes, 8);
    for (let i = 8 + headerBytes.length; i < 8 + padded; i++) file[i] = 0x20;
    const d = 8 + padded;
    view.setFloat64(d + 0, Math.PI, true);
    view.setFloat64(d + 8, -1e300, true);
    view.setFloat32(d + 16, 1, true);
    view.setFloat32(d + 20, -2.5, true);
    view.setFloat32(d + 24, 0.1, true);
    view.setFloat32(d + 28, 3e38, true);
    view.setInt32(d + 32, -7, true);
    file[d + 36] = 1;
    file[d + 37] = 0;
    file[d + 38] = 1;
    return file;
  }

  it("has the layout the test claims (length field, padding)", () => {
    const file = fixture();
    expect(HEADER.length).toBe(267);
    expect(Array.from(file.subarray(0, 8))).toEqual([16, 1, 0, 0, 0, 0, 0, 0]); // 272 = 0x110, little-endian
    expect(Array.from(file.subarray(8 + 267, 8 + 272))).toEqual([32, 32, 32, 32, 32]);
    expect(file.length).toBe(8 + 272 + 39);
  });

  it("loads with exact values, dtypes and shapes", () => {
    const { tensors, metadata } = parseSafetensorsWithMetadata(fixture());
    expect(metadata).toEqual({ format: "pt" });
    expect(Object.keys(tensors)).toEqual(["bias", "weight", "step", "mask"]);
    expect(tensors.bias!.dtype).toBe("float64");
    expect(tensors.bias!.shape).toEqual([2]);
    expect(Array.from(tensors.bias!.toTypedArray())).toEqual([Math.PI, -1e300]);
    expect(tensors.weight!.dtype).toBe("float32");
    expect(tensors.weight!.toArray()).toEqual([
      [1, -2.5],
      [Math.fround(0.1), Math.fround(3e38)],
    ]);
    expect(tensors.step!.dtype).toBe("int32");
    expect(tensors.step!.shape).toEqual([]);
    expect(tensors.step!.item()).toBe(-7);
    expect(tensors.mask!.dtype).toBe("bool");
    expect(tensors.mask!.toArray()).toEqual([true, false, true]);
  });

  it("is exactly what serializeSafetensors writes for the same tensors, whatever the key order", () => {
    const sd = {
      mask: nd.array([true, false, true]),
      step: nd.array(-7, { dtype: "int32" }),
      weight: nd.array([1, -2.5, 0.1, 3e38], { dtype: "float32" }).reshape(2, 2),
      bias: nd.array([Math.PI, -1e300], { dtype: "float64" }),
    };
    const bytes = serializeSafetensors(sd, { format: "pt" });
    expect(headerOf(bytes)).toBe(`${HEADER}     `);
    expect(bytes).toEqual(fixture());
  });
});

describe("reference test vectors (huggingface/safetensors tensor.rs)", () => {
  it("test_serialization: one F32 [1,2,3] tensor named attn.0", () => {
    const bytes = serializeSafetensors({ "attn.0": nd.arange(6).reshape(1, 2, 3) });
    // biome-ignore format: a byte table
    expect(Array.from(bytes)).toEqual([
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
      116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
      58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
      101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
      0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ]);
  });

  it("test_empty: no tensors, with and without metadata", () => {
    expect(Array.from(serializeSafetensors({}))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    const withMeta = serializeSafetensors({}, { framework: "pt" });
    expect(withMeta[0]).toBe(40);
    expect(headerOf(withMeta)).toBe('{"__metadata__":{"framework":"pt"}}     ');
    expect(parseSafetensorsWithMetadata(withMeta)).toEqual({ tensors: {}, metadata: { framework: "pt" } });
  });

  it("test_serialization_forced_alignement: padding with spaces", () => {
    const bytes = serializeSafetensors({ attn0: nd.arange(6).reshape(1, 1, 2, 3) });
    expect(bytes[0]).toBe(72);
    expect(Array.from(bytes.subarray(8 + 65, 8 + 72))).toEqual([32, 32, 32, 32, 32, 32, 32]);
    expect(Array.from(bytes.subarray(80, 84))).toEqual([0, 0, 0, 0]);
    expect(Array.from(bytes.subarray(84, 88))).toEqual([0, 0, 128, 63]);
  });
});

describe("round trip", () => {
  it("keeps dtype, shape and every value of f32/f64/i32/bool tensors, 0-d and empty included", () => {
    const sd = sample();
    const back = parseSafetensors(serializeSafetensors(sd));
    expect(Object.keys(back).sort()).toEqual(Object.keys(sd).sort());
    for (const [name, a] of Object.entries(sd)) {
      const b = back[name]!;
      expect(b.dtype, name).toBe(a.dtype);
      expect(b.shape, name).toEqual(a.shape);
      expect(Array.from(b.toTypedArray()), name).toEqual(Array.from(a.toTypedArray()));
    }
    expect(back.count!.item()).toBe(7);
    expect(back.empty!.size).toBe(0);
  });

  it("is byte-stable: serialize -> parse -> serialize gives identical bytes, metadata included", () => {
    const meta = { z: "last", a: "first", ü: "ünïcode", quote: 'say "hi"\n\t\\', "": "" };
    const first = serializeSafetensors(sample(), meta);
    const parsed = parseSafetensorsWithMetadata(first);
    expect(parsed.metadata).toEqual(meta);
    const second = serializeSafetensors(parsed.tensors, parsed.metadata);
    expect(second).toEqual(first);
    // and parse is a pure function of the bytes
    expect(serializeSafetensors(parseSafetensors(second), meta)).toEqual(first);
  });

  it("distinguishes no metadata from empty metadata", () => {
    expect(parseSafetensorsWithMetadata(serializeSafetensors({ a: nd.ones([1]) })).metadata).toBeUndefined();
    const empty = serializeSafetensors({ a: nd.ones([1]) }, {});
    expect(headerOf(empty)).toMatch(/^\{"__metadata__":\{\},"a":/);
    expect(parseSafetensorsWithMetadata(empty).metadata).toEqual({});
  });

  it("sorts by dtype alignment then name (UTF-8 byte order), metadata first", () => {
    const bytes = serializeSafetensors({
      b_bool: nd.array([true]),
      a_i32: nd.array([1], { dtype: "int32" }),
      "\u{10000}": nd.ones([1]), // UTF-8 F0..., sorts after U+FFFD (EF...) though UTF-16 would not
      "\uFFFD": nd.ones([1]),
      B: nd.ones([1]),
      a: nd.ones([1]),
      z64: nd.ones([1], { dtype: "float64" }),
    });
    const keys = Object.keys(JSON.parse(headerOf(bytes)));
    expect(keys).toEqual(["z64", "B", "a", "\uFFFD", "\u{10000}", "a_i32", "b_bool"]);
    // offsets follow the same order
    expect(JSON.parse(headerOf(bytes)).z64.data_offsets).toEqual([0, 8]);
  });

  it("writes views (transposed, narrowed) as their logical row-major values, and accepts Tensors", () => {
    const base = nd.arange(6, undefined, undefined, { dtype: "float64" }).reshape(2, 3);
    const t = tensor([[1, 2, 3]], { requiresGrad: true });
    const back = parseSafetensors(
      serializeSafetensors({ tr: base.transpose(0, 1), nar: base.narrow(1, 1, 2), param: t }),
    );
    expect(back.tr!.toArray()).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    expect(back.nar!.toArray()).toEqual([
      [1, 2],
      [4, 5],
    ]);
    expect(back.param!.toArray()).toEqual([[1, 2, 3]]);
  });

  it("keeps NaN payloads, infinities and -0 bit for bit", () => {
    const f = new Float32Array([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0]);
    new Uint32Array(f.buffer)[0] = 0x7fc01234;
    const back = parseSafetensors(serializeSafetensors({ f: new nd.NDArray(f, [4]) })).f!;
    expect(Array.from(new Uint32Array(back.toTypedArray().buffer))).toEqual(Array.from(new Uint32Array(f.buffer)));
  });

  it("returns arrays with their own buffers and a tensor named __proto__ as an own key", () => {
    const bytes = serializeSafetensors({ ["__proto__"]: nd.ones([2]), x: nd.ones([2]) } as Record<string, nd.NDArray>);
    const back = parseSafetensors(bytes);
    expect(Object.hasOwn(back, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    back.x!.data[0] = 42;
    expect(parseSafetensors(bytes).x!.get(0)).toBe(1);
  });

  it("parses from a Uint8Array that is a window into a larger buffer", () => {
    const bytes = serializeSafetensors({ w: nd.array([1, 2, 3], { dtype: "float64" }) });
    const big = new Uint8Array(bytes.length + 13);
    big.set(bytes, 5);
    expect(parseSafetensors(big.subarray(5, 5 + bytes.length)).w!.toArray()).toEqual([1, 2, 3]);
  });

  it("widens F16 and BF16 to float32 exactly", () => {
    // F16: 1, -2, 65504 (max), 2^-24 (smallest subnormal), inf, nan; BF16: 1, -3.140625
    const f16 = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x7e00];
    const bf16 = [0x3f80, 0xc049];
    const data = new Uint8Array(16);
    const v = new DataView(data.buffer);
    for (const [i, h] of f16.entries()) v.setUint16(2 * i, h, true);
    for (const [i, h] of bf16.entries()) v.setUint16(12 + 2 * i, h, true);
    const file = build(
      '{"h":{"dtype":"F16","shape":[6],"data_offsets":[0,12]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[12,16]}}',
      data,
    );
    const back = parseSafetensors(file);
    expect(back.h!.dtype).toBe("float32");
    expect(Array.from(back.h!.toTypedArray())).toEqual([1, -2, 65504, 2 ** -24, Number.POSITIVE_INFINITY, Number.NaN]);
    expect(Array.from(back.b!.toTypedArray())).toEqual([1, -3.140625]);
  });

  it("accepts tensors listed in any header order and a null __metadata__", () => {
    const file = build(
      '{"__metadata__":null,"late":{"dtype":"I32","shape":[1],"data_offsets":[4,8]},"early":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}',
      [1, 0, 0, 0, 2, 0, 0, 0],
    );
    const { tensors, metadata } = parseSafetensorsWithMetadata(file);
    expect(metadata).toBeUndefined();
    expect(tensors.early!.item()).toBe(1);
    expect(tensors.late!.item()).toBe(2);
  });
});

describe("byte order", () => {
  afterEach(() => _testing.setHostLittleEndian(null));

  it("swapBytes reverses each element, giving what DataView writes big-endian", () => {
    const values = [1.5, -2, 3e-40, 1234.5678];
    const le = new Uint8Array(new Float64Array(values).buffer.slice(0));
    _testing.swapBytes(le, 8);
    const be = new Uint8Array(32);
    for (const [i, x] of values.entries()) new DataView(be.buffer).setFloat64(8 * i, x, false);
    expect(le).toEqual(be);
  });

  it("on a big-endian host the stored bytes are swapped on write and back on read", () => {
    const sd = { f: nd.array([1, 2], { dtype: "float32" }), i: nd.array([1], { dtype: "int32" }), b: nd.array([true]) };
    const native = serializeSafetensors(sd);
    _testing.setHostLittleEndian(false); // this host is little-endian, so "big-endian" output is reversed
    const swapped = serializeSafetensors(sd);
    const d = native.length - 13;
    expect(Array.from(native.subarray(d, d + 8))).toEqual([0, 0, 128, 63, 0, 0, 0, 64]);
    expect(Array.from(swapped.subarray(d, d + 13))).toEqual([63, 128, 0, 0, 64, 0, 0, 0, 0, 0, 0, 1, 1]);
    expect(parseSafetensors(swapped).f!.toArray()).toEqual([1, 2]);
    expect(parseSafetensors(swapped).i!.toArray()).toEqual([1]);
  });
});

describe("malformed files throw SafetensorsError", () => {
  const f32 = (name: string, shape: string, begin: number, end: number) =>
    `"${name}":{"dtype":"F32","shape":${shape},"data_offsets":[${begin},${end}]}`;
  const eight = new Uint8Array(8);

  it("shorter than the 8-byte length field", () => {
    expectError(() => parseSafetensors(new Uint8Array(0)), /file is 0 bytes, too short/);
    expectError(() => parseSafetensors(new Uint8Array(7)), /file is 7 bytes, too short/);
  });

  it("header length beyond the file", () => {
    const file = build(`{${f32("a", "[2]", 0, 8)}}`, eight);
    expectError(
      () => parseSafetensors(file.subarray(0, 20)),
      /header length 56 runs past the end of the file \(12 bytes/,
    );
  });

  it("absurd header lengths (over the 100MB limit, or with the high word set) fail fast", () => {
    const file = new Uint8Array(16);
    const v = new DataView(file.buffer);
    v.setUint32(0, MAX_HEADER_SIZE + 1, true);
    expectError(() => parseSafetensors(file), /header length 100000001 exceeds the 100000000-byte limit/);
    v.setUint32(0, 0, true);
    v.setUint32(4, 1, true);
    expectError(() => parseSafetensors(file), /exceeds the 100000000-byte limit/);
    file.fill(0xff, 0, 8);
    expectError(() => parseSafetensors(file), /exceeds the 100000000-byte limit/);
  });

  it("header that is not UTF-8, not JSON, or not an object", () => {
    expectError(() => parseSafetensors(build("", [])), /not valid JSON/);
    const bad = build("{}      ");
    bad[9] = 0xff;
    expectError(() => parseSafetensors(bad), /not valid UTF-8/);
    const bom = build("\uFEFF{}");
    expectError(() => parseSafetensors(bom), /not valid JSON/);
    expectError(() => parseSafetensors(build('{"a":')), /not valid JSON/);
    expectError(() => parseSafetensors(build("[1,2]")), /must be a JSON object, got an array/);
    expectError(() => parseSafetensors(build("null")), /must be a JSON object, got null/);
    expectError(() => parseSafetensors(build('"x"')), /must be a JSON object, got the string "x"/);
  });

  it("tensor entry that is not an object", () => {
    expectError(() => parseSafetensors(build('{"a":[1]}')), /tensor "a": entry must be an object .* got an array/);
  });

  it("unknown or unsupported dtype, named", () => {
    expectError(
      () => parseSafetensors(build('{"a":{"dtype":"F128","shape":[],"data_offsets":[0,0]}}')),
      /tensor "a": unknown dtype "F128"/,
    );
    expectError(() => parseSafetensors(build('{"a":{"shape":[],"data_offsets":[0,0]}}')), /unknown dtype undefined/);
    expectError(
      () => parseSafetensors(build('{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}', eight)),
      /tensor "a": dtype I64 is not supported; typegrad reads F32, F64, I32, BOOL/,
    );
    expectError(
      () => parseSafetensors(build('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', [1])),
      /dtype U8 is not supported/,
    );
  });

  it("shape that is not a list of non-negative integers", () => {
    for (const shape of ["[-1]", "[1.5]", '["2"]', "2", "null", "[9007199254740993]"]) {
      expectError(
        () => parseSafetensors(build(`{${f32("a", shape, 0, 0)}}`)),
        /tensor "a": shape must be an array of non-negative integers/,
      );
    }
  });

  it("data_offsets that are not [begin, end] integers with begin <= end", () => {
    for (const offs of ["[0]", "[0,4,8]", "[-4,0]", "[0.5,4]", '["0","4"]', "[4,0]", "{}"]) {
      expectError(
        () => parseSafetensors(build(`{"a":{"dtype":"F32","shape":[1],"data_offsets":${offs}}}`, [0, 0, 0, 0])),
        /tensor "a": data_offsets must be \[begin, end\] with integers 0 <= begin <= end/,
      );
    }
  });

  it("byte count that disagrees with shape and dtype", () => {
    expectError(
      () => parseSafetensors(build(`{${f32("a", "[3]", 0, 8)}}`, eight)),
      /tensor "a": shape \[3\] of F32 needs 12 bytes but data_offsets \[0,8\] hold 8/,
    );
    expectError(
      () => parseSafetensors(build(`{${f32("a", "[1000000,1000000,1000000,1000000]", 0, 8)}}`, eight)),
      /needs more than 2\^53 bytes but data_offsets \[0,8\] hold 8/,
    );
    expectError(
      () => parseSafetensors(build(`{${f32("a", "[0,4]", 0, 8)}}`, eight)),
      /shape \[0,4\] of F32 needs 0 bytes but data_offsets \[0,8\] hold 8/,
    );
  });

  it("offsets out of bounds of the data section", () => {
    expectError(
      () => parseSafetensors(build(`{${f32("a", "[2]", 0, 8)}}`, [0, 0, 0, 0])),
      /tensor "a": data_offsets \[0,8\] run past the 4-byte data section/,
    );
  });

  it("overlapping tensors", () => {
    expectError(
      () => parseSafetensors(build(`{${f32("a", "[2]", 0, 8)},${f32("b", "[1]", 4, 8)}}`, eight)),
      /"b" data_offsets \[4,8\] overlap "a", which ends at 8/,
    );
    // the same bytes claimed twice
    expectError(() => parseSafetensors(build(`{${f32("a", "[2]", 0, 8)},${f32("b", "[2]", 0, 8)}}`, eight)), /overlap/);
  });

  it("holes in the data section, and bytes after the last tensor", () => {
    expectError(
      () => parseSafetensors(build(`{${f32("a", "[1]", 4, 8)}}`, eight)),
      /bytes 0\.\.4 of the data section belong to no tensor \(hole before "a"\)/,
    );
    expectError(
      () => parseSafetensors(build(`{${f32("a", "[1]", 0, 4)}}`, eight)),
      /data section is 8 bytes but the tensors cover only 4; 4 trailing bytes/,
    );
    expectError(() => parseSafetensors(build("{}", [1])), /cover only 0; 1 trailing bytes/);
  });

  it("metadata that is not a string map", () => {
    expectError(
      () => parseSafetensors(build('{"__metadata__":{"epoch":3}}')),
      /"__metadata__" value for "epoch" must be a string, got number 3/,
    );
    expectError(() => parseSafetensors(build('{"__metadata__":[]}')), /"__metadata__" must be an object/);
    expectError(() => parseSafetensors(build('{"__metadata__":"x"}')), /"__metadata__" must be an object/);
  });

  it("BOOL bytes other than 0 and 1", () => {
    expectError(
      () => parseSafetensors(build('{"m":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}}', [1, 2])),
      /tensor "m": BOOL element 1 is byte 2; expected 0 or 1/,
    );
  });

  it("input that is not a Uint8Array", () => {
    expectError(() => parseSafetensors([1, 2, 3] as unknown as Uint8Array), /expected a Uint8Array, got an array/);
  });
});

describe("serializeSafetensors rejects what it cannot write", () => {
  it("non-array values, the reserved name, non-string metadata, lone surrogates", () => {
    expectError(
      () => serializeSafetensors({ a: [1, 2] as unknown as nd.NDArray }),
      /"a" is an array; expected an NDArray or a Tensor/,
    );
    expectError(() => serializeSafetensors({ __metadata__: nd.ones([1]) }), /"__metadata__" is reserved/);
    expectError(
      () => serializeSafetensors({}, { epoch: 3 } as unknown as Record<string, string>),
      /value for "epoch" must be a string, got number 3/,
    );
    expectError(() => serializeSafetensors({ "\uD800": nd.ones([1]) }), /is not valid UTF-16/);
    expectError(() => serializeSafetensors(null as unknown as Record<string, nd.NDArray>), /expected a state dict/);
  });
});

describe("fuzz: corrupted files never escape as other exceptions", () => {
  function checkValid(result: Record<string, nd.NDArray>): void {
    for (const [name, a] of Object.entries(result)) {
      expect(a, name).toBeInstanceOf(nd.NDArray);
      expect(["float32", "float64", "int32", "bool"]).toContain(a.dtype);
      expect(a.shape.every((d) => Number.isInteger(d) && d >= 0)).toBe(true);
      expect(a.data.length).toBe(a.shape.reduce((p, d) => p * d, 1));
      if (a.dtype === "bool") expect(Array.from(a.data).every((v) => v === 0 || v === 1)).toBe(true);
    }
    // a valid result can be written back and read again to the same bytes
    const again = serializeSafetensors(result);
    expect(serializeSafetensors(parseSafetensors(again))).toEqual(again);
  }

  it("500 seeded truncations, byte flips and header edits", () => {
    const valid = serializeSafetensors(sample(), { format: "pt", note: "fuzz" });
    const headerEnd = 8 + (valid[0] as number) + 256 * (valid[1] as number);
    const rng = new nd.Rng(1234);
    const outcomes = { error: 0, ok: 0 };
    for (let iter = 0; iter < 500; iter++) {
      let bytes = valid.slice();
      const kind = iter % 4;
      if (kind === 0) bytes = bytes.slice(0, rng.int(0, bytes.length));
      else {
        const flips = 1 + rng.int(0, 4);
        for (let k = 0; k < flips; k++) {
          // kind 1: anywhere; kind 2: inside the header; kind 3: a digit/quote/brace swapped for another
          const at = kind === 1 ? rng.int(0, bytes.length) : rng.int(0, headerEnd);
          if (kind === 3) bytes[at] = '0123456789"{}[],: -.e'[rng.int(0, 21)]!.charCodeAt(0);
          else bytes[at] = rng.int(0, 256);
        }
      }
      let result: Record<string, nd.NDArray> | undefined;
      try {
        result = parseSafetensors(bytes);
      } catch (e) {
        expect(e, `iteration ${iter}`).toBeInstanceOf(SafetensorsError);
        outcomes.error++;
        continue;
      }
      checkValid(result);
      outcomes.ok++;
    }
    // the loop exercised both outcomes (data-only flips parse fine; truncations never do)
    expect(outcomes.error).toBeGreaterThan(100);
    expect(outcomes.ok).toBeGreaterThan(10);
  });
});

describe("saveSafetensors / loadSafetensors", () => {
  it("round-trip through a file, overwrite atomically and leave no temporary file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "typegrad-st-"));
    try {
      const path = join(dir, "model.safetensors");
      await saveSafetensors(path, sample(), { epoch: "1" });
      const onDisk = new Uint8Array(await readFile(path));
      expect(onDisk).toEqual(serializeSafetensors(sample(), { epoch: "1" }));
      const back = await loadSafetensors(path);
      expect(back.ids!.toArray()).toEqual([-1, 0, 2147483647, -2147483648]);
      expect(back.mask!.toArray()).toEqual([true, false, true]);

      await saveSafetensors(path, { only: nd.ones([2]) });
      expect(Object.keys(await loadSafetensors(path))).toEqual(["only"]);
      expect(await readdir(dir)).toEqual(["model.safetensors"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a failed save leaves nothing behind; a bad file names its path; a missing file rejects", async () => {
    const dir = await mkdtemp(join(tmpdir(), "typegrad-st-"));
    try {
      await expect(saveSafetensors(join(dir, "missing", "m.safetensors"), { a: nd.ones([1]) })).rejects.toThrow(
        /ENOENT/,
      );
      await expect(saveSafetensors(join(dir, "m.safetensors"), { a: 1 as unknown as nd.NDArray })).rejects.toThrow(
        SafetensorsError,
      );
      expect(await readdir(dir)).toEqual([]);

      const bad = join(dir, "bad.safetensors");
      await writeFile(bad, new Uint8Array([1, 2, 3]));
      await expect(loadSafetensors(bad)).rejects.toThrow(new RegExp(`${bad.replace(/[\\.]/g, "\\$&")}: .*too short`));
      await expect(loadSafetensors(join(dir, "nope.safetensors"))).rejects.toThrow(/ENOENT/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
