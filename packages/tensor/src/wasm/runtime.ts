/**
 * Loads the WebAssembly SIMD GEMM kernel (src/wasm/gemm.wat, embedded as base64) lazily and
 * synchronously on first use, and owns the one WebAssembly.Memory it works in.
 * Portable: no Node-only API, so it works in browsers too.
 */
import { GEMM_WASM_BASE64 } from "./kernels.generated.js";

/** The exports of gemm.wat (see the comments there for the loop nest and layout). */
interface GemmExports {
  /** C = A·B; `es` = element bytes (4 or 8); pointers are byte offsets, strides and ldc in elements. */
  gemm(
    es: number,
    M: number,
    N: number,
    K: number,
    pA: number,
    ars: number,
    acs: number,
    pB: number,
    brs: number,
    bcs: number,
    pC: number,
    ldc: number,
    packA: number,
    packB: number,
    tile: number,
  ): void;
  MR: WebAssembly.Global;
  KC: WebAssembly.Global;
  MC: WebAssembly.Global;
  NC: WebAssembly.Global;
}

const PAGE = 65536;

/** A loaded kernel instance with its memory and typed views over it. */
export class WasmGemm {
  readonly exports: GemmExports;
  readonly memory: WebAssembly.Memory;
  /** Rows per micro-tile. */
  readonly MR: number;
  /** k-block, row-block and column-block sizes of the packing (elements). */
  readonly KC: number;
  readonly MC: number;
  readonly NC: number;
  private f32View: Float32Array;
  private f64View: Float64Array;

  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory) {
    this.memory = memory;
    this.exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as GemmExports;
    this.MR = this.exports.MR.value as number;
    this.KC = this.exports.KC.value as number;
    this.MC = this.exports.MC.value as number;
    this.NC = this.exports.NC.value as number;
    this.f32View = new Float32Array(memory.buffer);
    this.f64View = new Float64Array(memory.buffer);
  }

  /** Grows the memory to at least `bytes`; false when the engine refuses (the caller falls back to JS). */
  reserve(bytes: number): boolean {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return true;
    try {
      this.memory.grow(Math.ceil((bytes - have) / PAGE));
    } catch {
      return false;
    }
    // Growing detaches the old ArrayBuffer: views must be recreated.
    this.f32View = new Float32Array(this.memory.buffer);
    this.f64View = new Float64Array(this.memory.buffer);
    return true;
  }

  /** A view of the memory for the given element size (valid until the next `reserve` that grows). */
  view(es: 4 | 8): Float32Array | Float64Array {
    return es === 4 ? this.f32View : this.f64View;
  }

  /** Bytes of packing workspace (scratch tile + packed A block + packed B block) for an M×N×K product. */
  workspaceBytes(es: number, M: number, N: number, K: number): number {
    const nr = 32 / es;
    const kc = Math.min(K, this.KC);
    const mc = roundUp(Math.min(M, this.MC), this.MR);
    const nc = roundUp(Math.min(N, this.NC), nr);
    return this.MR * 32 + align((mc + nc) * kc * es);
  }

  /**
   * Runs C = A·B with the workspace at byte offset `work` (laid out as `workspaceBytes` says).
   * Pointers are byte offsets; strides and `ldc` are in elements.
   */
  gemm(
    es: 4 | 8,
    M: number,
    N: number,
    K: number,
    pA: number,
    ars: number,
    acs: number,
    pB: number,
    brs: number,
    bcs: number,
    pC: number,
    ldc: number,
    work: number,
  ): void {
    const tile = work;
    const packA = work + this.MR * 32;
    const packB = packA + roundUp(Math.min(M, this.MC), this.MR) * Math.min(K, this.KC) * es;
    this.exports.gemm(es, M, N, K, pA, ars, acs, pB, brs, bcs, pC, ldc, packA, packB, tile);
  }
}

/** Rounds up to a multiple of `m`. */
export function roundUp(n: number, m: number): number {
  return Math.ceil(n / m) * m;
}

/** Rounds a byte count up to a 64-byte (cache line) boundary. */
export function align(bytes: number): number {
  return roundUp(bytes, 64);
}

/** Decodes standard base64 (kept local so the package needs neither `atob` nor Node's Buffer). */
export function decodeBase64(s: string): Uint8Array {
  const table = new Int16Array(128).fill(-1);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  const clean = s.replace(/=+$/, "");
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < clean.length; i++) {
    const v = table[clean.charCodeAt(i)] as number;
    if (v < 0) throw new Error("decodeBase64: invalid character");
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

let gemmBytes: Uint8Array | undefined;
/** The assembled gemm.wat bytes. */
export function gemmWasmBytes(): Uint8Array {
  gemmBytes ??= decodeBase64(GEMM_WASM_BASE64);
  return gemmBytes;
}

let instance: WasmGemm | null | undefined;

/**
 * The kernel instance, created on first call; null when this engine has no WebAssembly or no SIMD
 * (validating the kernel module itself is the feature test: it uses exactly what we need).
 */
export function getWasmGemm(): WasmGemm | null {
  if (instance !== undefined) return instance;
  instance = null;
  if (typeof WebAssembly === "object" && typeof WebAssembly.validate === "function") {
    const bytes = gemmWasmBytes();
    if (WebAssembly.validate(bytes)) {
      instance = new WasmGemm(new WebAssembly.Module(bytes), new WebAssembly.Memory({ initial: 1 }));
    }
  }
  return instance;
}
