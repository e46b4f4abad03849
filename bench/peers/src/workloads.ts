/** The frameworks and workloads of the peer benchmark, their sizes, units and agreement tolerances. */

export const FRAMEWORKS = ["typegrad", "tfjs-wasm", "tfjs-cpu", "js-pytorch"] as const;
export type FrameworkId = (typeof FRAMEWORKS)[number];

export const FRAMEWORK_LABELS: Record<FrameworkId, string> = {
  typegrad: "typegrad",
  "tfjs-wasm": "TF.js wasm",
  "tfjs-cpu": "TF.js cpu",
  "js-pytorch": "js-pytorch",
};

export const WORKLOADS = ["matmul", "mlp", "transformer", "cross-entropy", "elementwise", "overhead"] as const;
export type WorkloadId = (typeof WORKLOADS)[number];

/** Sizes shared by every framework. */
export const SIZES = {
  matmul: { n: 1024 },
  mlp: { batch: 256, input: 64, hidden: 256, classes: 10, lr: 1e-3 },
  transformer: { vocab: 65, batch: 16, seq: 64, dModel: 128, heads: 4, layers: 2, lr: 1e-3, weightDecay: 0.01 },
  crossEntropy: { rows: 4096, classes: 1000 },
  elementwise: { n: 1024 },
  overhead: { ops: 2000, mul: 1.0001, add: 0.0001 },
} as const;

export interface WorkloadInfo {
  /** Row label in the table. */
  label: string;
  unit: "GFLOP/s" | "ms/step" | "ms" | "µs/op";
  higherIsBetter: boolean;
  /** Converts the median milliseconds of one iteration into the reported metric. */
  metric(ms: number): number;
  /** True if each iteration is an optimizer step whose loss must fall over the run. */
  training: boolean;
  /** Agreement of the first iteration's value across frameworks: |a − b| ≤ tol · max(1, |b|). */
  tolerance: number;
  /** What the per-iteration value is, for the checks section. */
  valueName: string;
}

const n = SIZES.matmul.n;

export const WORKLOAD_INFO: Record<WorkloadId, WorkloadInfo> = {
  matmul: {
    label: "matmul 1024² f32",
    unit: "GFLOP/s",
    higherIsBetter: true,
    metric: (ms) => (2 * n ** 3) / (ms * 1e6),
    training: false,
    tolerance: 1e-3,
    valueName: "c[0,0]",
  },
  mlp: {
    label: "MLP train step (256×64 → 256 → 256 → 10, CE, Adam)",
    unit: "ms/step",
    higherIsBetter: false,
    metric: (ms) => ms,
    training: true,
    tolerance: 1e-4,
    valueName: "loss",
  },
  transformer: {
    label: "tiny transformer train step (vocab 65, B16, T64, d128, 4 heads, 2 blocks, AdamW)",
    unit: "ms/step",
    higherIsBetter: false,
    metric: (ms) => ms,
    training: true,
    tolerance: 1e-4,
    valueName: "loss",
  },
  "cross-entropy": {
    label: "cross-entropy fwd+bwd, logits 4096×1000",
    unit: "ms",
    higherIsBetter: false,
    metric: (ms) => ms,
    training: false,
    tolerance: 1e-5,
    valueName: "loss",
  },
  elementwise: {
    label: "tanh(a·b + c) fwd+bwd, 1024², c broadcast",
    unit: "ms",
    higherIsBetter: false,
    metric: (ms) => ms,
    training: false,
    tolerance: 1e-3,
    valueName: "Σ tanh",
  },
  overhead: {
    label: "autograd overhead, chain of 2,000 tiny ops",
    unit: "µs/op",
    higherIsBetter: false,
    metric: (ms) => (ms * 1000) / SIZES.overhead.ops,
    training: false,
    tolerance: 1e-3,
    valueName: "dx/dx₀",
  },
};

/** Parses a comma-separated selection, failing on unknown names. */
export function parseList<T extends string>(flag: string, value: string, allowed: readonly T[]): T[] {
  const items = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) {
      throw new Error(`${flag}: unknown "${item}"; choose from ${allowed.join(", ")}`);
    }
  }
  if (items.length === 0) throw new Error(`${flag}: empty selection`);
  return items as T[];
}
