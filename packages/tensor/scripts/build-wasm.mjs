#!/usr/bin/env node
/**
 * Assembles the hand-written WebAssembly text kernels (src/wasm/*.wat) with wabt's wat2wasm and writes
 * src/wasm/kernels.generated.ts, which embeds the bytes as base64. The generated file is committed, so
 * installing or importing @typegrad/tensor never downloads or compiles anything; this script only runs
 * when a .wat file changes (`pnpm --filter @typegrad/tensor build:wasm`), and a test checks that the
 * committed bytes match a fresh assembly.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const WASM_DIR = join(here, "..", "src", "wasm");
export const GENERATED = join(WASM_DIR, "kernels.generated.ts");

/** Features the kernels use; nothing beyond what current engines ship (no relaxed-simd). */
const FEATURES = { simd: true, bulk_memory: true, threads: true };

/** The memory import in gemm.wat, and its shared twin for the worker-thread pool (same code otherwise). */
const MEMORY_IMPORT = '(import "env" "memory" (memory 1))';
const SHARED_MEMORY_IMPORT = '(import "env" "memory" (memory 1 65536 shared))';

/** An assembler for WebAssembly text (wabt's wat2wasm): `(fileName, text) => bytes`. */
async function assembler() {
  const require = createRequire(import.meta.url);
  const wabt = await require("wabt")();
  return (name, text) => {
    const module = wabt.parseWat(name, text, FEATURES);
    try {
      module.validate(FEATURES);
      return Uint8Array.from(module.toBinary({}).buffer);
    } finally {
      module.destroy();
    }
  };
}

/**
 * The text of src/wasm/`file`, checked to import an ordinary memory exactly once. wabt's parser reads
 * each character by its low byte, so a non-ASCII character such as U+230A (low byte 0x0A) would end a
 * comment line early: those are rejected with their position.
 */
function readWat(file) {
  const src = readFileSync(join(WASM_DIR, file), "utf8");
  for (let i = 0; i < src.length; i++) {
    const code = src.charCodeAt(i);
    if (code > 0xff && ((code & 0xff) === 0x0a || (code & 0xff) === 0x0d)) {
      const line = src.slice(0, i).split("\n").length;
      throw new Error(`${file}:${line}: character ${JSON.stringify(src[i])} confuses wabt's lexer; use ASCII`);
    }
  }
  if (src.split(MEMORY_IMPORT).length !== 2) throw new Error(`${file} must contain ${MEMORY_IMPORT} exactly once`);
  return src;
}

/**
 * Assembles the matmul kernels into `{ name: bytes }`, in a fixed order: `gemm` (imports an ordinary
 * memory) and `gemm_shared` (the same source importing a shared memory, for multi-threaded matmul;
 * engines without the threads feature simply never load it).
 */
export async function assembleKernels() {
  const assemble = await assembler();
  const src = readWat("gemm.wat");
  return {
    gemm: assemble("gemm.wat", src),
    gemm_shared: assemble("gemm.wat (shared)", src.replace(MEMORY_IMPORT, SHARED_MEMORY_IMPORT)),
  };
}

/** `file` assembled twice: importing an ordinary memory (`name`) and a shared one (`name_shared`, for the pool). */
function withSharedTwin(assemble, name, file) {
  const src = readWat(file);
  return {
    [name]: assemble(file, src),
    [`${name}_shared`]: assemble(`${file} (shared)`, src.replace(MEMORY_IMPORT, SHARED_MEMORY_IMPORT)),
  };
}

/** Assembles the row kernels (softmax, log-softmax, cross-entropy: src/wasm/rows.wat) into `{ rows, rows_shared }`. */
export async function assembleRowKernels() {
  return withSharedTwin(await assembler(), "rows", "rows.wat");
}

/**
 * Assembles the LayerNorm (src/wasm/norm.wat) and Adam update (src/wasm/optim.wat) kernels, which run over
 * the row kernels' memory, into `{ norm, norm_shared, optim, optim_shared }`.
 */
export async function assembleNormOptimKernels() {
  const assemble = await assembler();
  return { ...withSharedTwin(assemble, "norm", "norm.wat"), ...withSharedTwin(assemble, "optim", "optim.wat") };
}

/**
 * Assembles the elementwise kernels (exp, tanh, sigmoid, gelu and its backward: src/wasm/unary.wat) into
 * `{ unary, unary_shared }`.
 */
export async function assembleUnaryKernels() {
  return withSharedTwin(await assembler(), "unary", "unary.wat");
}

/** Assembles the binary float32 arithmetic kernels (add, sub, mul, div, tanh backward: src/wasm/binary.wat) into `{ binary: bytes }`. */
export async function assembleBinaryKernels() {
  const assemble = await assembler();
  return { binary: assemble("binary.wat", readWat("binary.wat")) };
}

/** Every kernel module the generated file embeds, in its order. */
export async function assembleAll() {
  return {
    ...(await assembleKernels()),
    ...(await assembleRowKernels()),
    ...(await assembleNormOptimKernels()),
    ...(await assembleUnaryKernels()),
    ...(await assembleBinaryKernels()),
  };
}

/** The TypeScript source that embeds `kernels` (what this script writes). */
export function generatedSource(kernels) {
  const lines = [
    "// Generated by packages/tensor/scripts/build-wasm.mjs from src/wasm/*.wat — do not edit.",
    "// Rebuild with `pnpm --filter @typegrad/tensor build:wasm`; test/wasm-build.test.ts checks it is current.",
    "",
  ];
  for (const [name, bytes] of Object.entries(kernels)) {
    lines.push(`/** Kernel module "${name}" (${bytes.length} bytes), base64. */`);
    lines.push(`export const ${name.toUpperCase()}_WASM_BASE64 =`);
    lines.push(`  "${Buffer.from(bytes).toString("base64")}";`);
  }
  return `${lines.join("\n")}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const kernels = await assembleAll();
  writeFileSync(GENERATED, generatedSource(kernels));
  for (const [name, bytes] of Object.entries(kernels)) console.log(`${name}: ${bytes.length} bytes`);
  console.log(`wrote ${GENERATED}`);
}
