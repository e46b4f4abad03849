/**
 * The one deterministic source of every input and initial weight: a mulberry32 generator with a
 * fixed seed per workload, producing Float32Arrays (row-major) and Int32Arrays. Each framework
 * builds its tensors from these arrays, so all of them start from bit-identical data.
 */
import { SIZES } from "./workloads.js";

export class Mulberry32 {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u1 = 1 - this.next(); // (0, 1]
    const u2 = this.next();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  normalArray(size: number, std = 1): Float32Array {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = this.normal() * std;
    return out;
  }

  uniformArray(size: number, low: number, high: number): Float32Array {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = low + (high - low) * this.next();
    return out;
  }

  /** Integers in [0, high). */
  intArray(size: number, high: number): Int32Array {
    const out = new Int32Array(size);
    for (let i = 0; i < size; i++) out[i] = Math.floor(this.next() * high);
    return out;
  }
}

/** A named parameter: torch layout (a Linear weight is (out, in)), row-major values. */
export interface ParamSpec {
  shape: number[];
  data: Float32Array;
}
export type ParamMap = Map<string, ParamSpec>;

function linearParams(rng: Mulberry32, params: ParamMap, name: string, inF: number, outF: number): void {
  const bound = 1 / Math.sqrt(inF);
  params.set(`${name}.weight`, { shape: [outF, inF], data: rng.uniformArray(outF * inF, -bound, bound) });
  params.set(`${name}.bias`, { shape: [outF], data: rng.uniformArray(outF, -bound, bound) });
}

function layerNormParams(params: ParamMap, name: string, dim: number): void {
  params.set(`${name}.weight`, { shape: [dim], data: new Float32Array(dim).fill(1) });
  params.set(`${name}.bias`, { shape: [dim], data: new Float32Array(dim) });
}

export interface MatmulData {
  n: number;
  a: Float32Array;
  b: Float32Array;
}

export function matmulData(): MatmulData {
  const { n } = SIZES.matmul;
  const rng = new Mulberry32(1);
  return { n, a: rng.normalArray(n * n), b: rng.normalArray(n * n) };
}

export interface MlpData {
  x: Float32Array;
  y: Int32Array;
  /** fc1 (64→256), fc2 (256→256), fc3 (256→10). */
  params: ParamMap;
}

export function mlpData(): MlpData {
  const { batch, input, hidden, classes } = SIZES.mlp;
  const rng = new Mulberry32(2);
  const params: ParamMap = new Map();
  linearParams(rng, params, "fc1", input, hidden);
  linearParams(rng, params, "fc2", hidden, hidden);
  linearParams(rng, params, "fc3", hidden, classes);
  return { x: rng.normalArray(batch * input), y: rng.intArray(batch, classes), params };
}

export interface TransformerData {
  /** Token ids (B, T) and next-token targets (B, T): slices of one random token stream. */
  ids: Int32Array;
  targets: Int32Array;
  /** Parameters named like typegrad's TinyGpt (examples/char-transformer). */
  params: ParamMap;
}

export function transformerData(): TransformerData {
  const { vocab, batch, seq, dModel, layers } = SIZES.transformer;
  const rng = new Mulberry32(3);
  const params: ParamMap = new Map();
  params.set("tokenEmbedding.weight", { shape: [vocab, dModel], data: rng.normalArray(vocab * dModel, 0.02) });
  params.set("positionEmbedding.weight", { shape: [seq, dModel], data: rng.normalArray(seq * dModel, 0.02) });
  for (let l = 0; l < layers; l++) {
    const p = `blocks.${l}`;
    layerNormParams(params, `${p}.ln1`, dModel);
    for (const proj of ["qProj", "kProj", "vProj", "outProj"])
      linearParams(rng, params, `${p}.attn.${proj}`, dModel, dModel);
    layerNormParams(params, `${p}.ln2`, dModel);
    linearParams(rng, params, `${p}.fc1`, dModel, 4 * dModel);
    linearParams(rng, params, `${p}.fc2`, 4 * dModel, dModel);
  }
  layerNormParams(params, "lnFinal", dModel);
  linearParams(rng, params, "head", dModel, vocab);

  const stream = rng.intArray(batch * (seq + 1), vocab);
  const ids = new Int32Array(batch * seq);
  const targets = new Int32Array(batch * seq);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < seq; t++) {
      ids[b * seq + t] = stream[b * (seq + 1) + t]!;
      targets[b * seq + t] = stream[b * (seq + 1) + t + 1]!;
    }
  }
  return { ids, targets, params };
}

export interface CrossEntropyData {
  rows: number;
  classes: number;
  logits: Float32Array;
  labels: Int32Array;
}

export function crossEntropyData(): CrossEntropyData {
  const { rows, classes } = SIZES.crossEntropy;
  const rng = new Mulberry32(4);
  return { rows, classes, logits: rng.normalArray(rows * classes), labels: rng.intArray(rows, classes) };
}

export interface ElementwiseData {
  n: number;
  a: Float32Array;
  b: Float32Array;
  /** One row, broadcast over the n rows. */
  c: Float32Array;
}

export function elementwiseData(): ElementwiseData {
  const { n } = SIZES.elementwise;
  const rng = new Mulberry32(5);
  return { n, a: rng.normalArray(n * n), b: rng.normalArray(n * n), c: rng.normalArray(n) };
}

/** Total parameter count of a ParamMap. */
export function countParams(params: ParamMap): number {
  let total = 0;
  for (const p of params.values()) total += p.data.length;
  return total;
}

/** (rows, cols) row-major → (cols, rows) row-major. */
export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j]!;
  return out;
}

/** One-hot float rows for class indices. */
export function oneHot(labels: Int32Array, classes: number): Float32Array {
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) out[i * classes + labels[i]!] = 1;
  return out;
}
