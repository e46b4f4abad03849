/**
 * The committed kernel bytes (src/wasm/kernels.generated.ts) are exactly what the build script makes
 * from the .wat sources today (the whole file, and the matmul kernels in detail), so nobody ships a
 * stale binary; plus the runtime's base64 decoder.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { assembleAll, assembleKernels, GENERATED, generatedSource } from "../scripts/build-wasm.mjs";
import { GEMM_WASM_BASE64 } from "../src/wasm/kernels.generated.js";
import { decodeBase64, gemmSharedWasmBytes, gemmWasmBytes } from "../src/wasm/runtime.js";

describe("embedded wasm kernels", () => {
  it("match a fresh assembly of src/wasm/gemm.wat (run `pnpm --filter @typegrad/tensor build:wasm` if not)", async () => {
    const fresh = await assembleKernels();
    expect(Object.keys(fresh)).toEqual(["gemm", "gemm_shared"]);
    expect(Buffer.from(gemmWasmBytes()).equals(Buffer.from(fresh.gemm as Uint8Array))).toBe(true);
    expect(Buffer.from(gemmSharedWasmBytes()).equals(Buffer.from(fresh.gemm_shared as Uint8Array))).toBe(true);
  });

  it("the whole generated file is current: every module, in order (else run the build:wasm script)", async () => {
    expect(readFileSync(GENERATED, "utf8")).toBe(generatedSource(await assembleAll()));
  });

  it("the shared variant differs only in its memory import (shared, with a maximum)", () => {
    const plain = WebAssembly.Module.imports(new WebAssembly.Module(gemmWasmBytes()));
    const shared = WebAssembly.Module.imports(new WebAssembly.Module(gemmSharedWasmBytes()));
    expect(plain).toEqual([{ module: "env", name: "memory", kind: "memory" }]);
    expect(shared).toEqual(plain);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 16, shared: true });
    expect(
      () => new WebAssembly.Instance(new WebAssembly.Module(gemmSharedWasmBytes()), { env: { memory } }),
    ).not.toThrow();
    expect(() => new WebAssembly.Instance(new WebAssembly.Module(gemmWasmBytes()), { env: { memory } })).toThrow();
  });

  it("are a valid module that exports the gemm, bias and column-sum entry points and block sizes", () => {
    const bytes = gemmWasmBytes();
    expect(WebAssembly.validate(bytes)).toBe(true);
    const exports = WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => `${e.kind}:${e.name}`);
    expect(exports.sort()).toEqual([
      "function:add_rows",
      "function:col_sums",
      "function:gemm",
      "global:KC",
      "global:MC",
      "global:MR",
      "global:NC",
    ]);
  });

  it("decodeBase64 agrees with Buffer on the kernel and on padding edge cases", () => {
    expect(Buffer.from(decodeBase64(GEMM_WASM_BASE64)).toString("base64")).toBe(GEMM_WASM_BASE64);
    for (const s of ["", "a", "ab", "abc", "abcd", "\u0000\u00ff\u0080"]) {
      const b64 = Buffer.from(s, "latin1").toString("base64");
      expect(Buffer.from(decodeBase64(b64)).toString("latin1")).toBe(s);
    }
    expect(() => decodeBase64("ab$d")).toThrow(/invalid/);
  });
});
