import * as tg from "typegrad";
import {
  crossEntropyData,
  elementwiseData,
  matmulData,
  mlpData,
  oneHot,
  type ParamMap,
  transformerData,
} from "../data.js";
import { loadTfjs } from "../tfjs-env.js";
import { SIZES, type WorkloadId } from "../workloads.js";
import type { Framework, Prepared } from "./types.js";

const f32 = (data: Float32Array, shape: readonly number[], requiresGrad = false): tg.Tensor =>
  tg.tensor(data, { shape, requiresGrad });
const i32 = (data: Int32Array, shape: readonly number[]): tg.Tensor => tg.tensor(data, { shape, dtype: "int32" });

/** Copies the shared initial values into a module's parameters; the names and sizes must match exactly. */
function loadParams(module: tg.Module, params: ParamMap): void {
  const named = module.namedParameters();
  const missing = named.filter(([name]) => !params.has(name)).map(([name]) => name);
  if (missing.length > 0 || named.length !== params.size) {
    throw new Error(`typegrad: parameter names differ from the shared spec (missing: ${missing.join(", ") || "none"})`);
  }
  tg.noGrad(() => {
    for (const [name, p] of named) {
      const spec = params.get(name)!;
      if (spec.data.length !== p.size)
        throw new Error(`typegrad: ${name} has ${p.size} values, spec ${spec.data.length}`);
      p.copy_(f32(spec.data, p.shape));
    }
  });
}

/** The tiny GPT of examples/char-transformer: token + position embeddings, pre-LN blocks, head. */
class Gpt extends tg.Module {
  tokenEmbedding: tg.Embedding;
  positionEmbedding: tg.Embedding;
  blocks: tg.TransformerBlock[];
  lnFinal: tg.LayerNorm;
  head: tg.Linear;

  constructor(vocab: number, seq: number, dModel: number, heads: number, layers: number) {
    super();
    this.tokenEmbedding = new tg.Embedding(vocab, dModel);
    this.positionEmbedding = new tg.Embedding(seq, dModel);
    this.blocks = Array.from({ length: layers }, () => new tg.TransformerBlock(dModel, heads, { dropout: 0 }));
    this.lnFinal = new tg.LayerNorm(dModel);
    this.head = new tg.Linear(dModel, vocab);
  }

  forward(ids: tg.Tensor): tg.Tensor {
    const T = ids.shape[1]!;
    const positions = tg.arange(T, undefined, 1, { dtype: "int32" });
    let x = this.tokenEmbedding.forward(ids).add(this.positionEmbedding.forward(positions));
    for (const block of this.blocks) x = block.forward(x, { isCausal: true });
    return this.head.forward(this.lnFinal.forward(x));
  }
}

class Mlp extends tg.Module {
  fc1: tg.Linear;
  fc2: tg.Linear;
  fc3: tg.Linear;

  constructor(input: number, hidden: number, classes: number) {
    super();
    this.fc1 = new tg.Linear(input, hidden);
    this.fc2 = new tg.Linear(hidden, hidden);
    this.fc3 = new tg.Linear(hidden, classes);
  }

  forward(x: tg.Tensor): tg.Tensor {
    return this.fc3.forward(this.fc2.forward(this.fc1.forward(x).relu()).relu());
  }
}

/**
 * typegrad's cross-entropy must equal TF.js's (wasm backend, its own autodiff) on the same data:
 * the loss to 1e-4 and the gradient to 1e-4 of its largest entry.
 */
async function checkCrossEntropyAgainstTfjs(loss: number, grad: Float32Array): Promise<string> {
  const d = crossEntropyData();
  const { tf } = await loadTfjs("wasm");
  const [refLoss, refGrad] = tf.tidy(() => {
    const logits = tf.tensor2d(d.logits, [d.rows, d.classes]);
    const labels = tf.tensor2d(oneHot(d.labels, d.classes), [d.rows, d.classes]);
    const f = (x: import("@tensorflow/tfjs-core").Tensor) =>
      tf.losses.softmaxCrossEntropy(labels, x, undefined, 0, tf.Reduction.MEAN);
    const { value, grad: g } = tf.valueAndGrad(f)(logits);
    return [value.dataSync()[0]!, g.dataSync() as Float32Array] as const;
  });
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < refGrad.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(grad[i]! - refGrad[i]!));
    maxRef = Math.max(maxRef, Math.abs(refGrad[i]!));
  }
  const lossDiff = Math.abs(loss - refLoss);
  if (!(lossDiff <= 1e-4) || !(maxDiff <= 1e-4 * maxRef)) {
    throw new Error(
      `CHECK FAILED: typegrad crossEntropy differs from TF.js: loss ${loss} vs ${refLoss} (|Δ| ${lossDiff.toExponential(2)}), ` +
        `grad max |Δ| ${maxDiff.toExponential(2)} (largest |grad| ${maxRef.toExponential(2)})`,
    );
  }
  return `cross-entropy equals TF.js (wasm): loss |Δ| ${lossDiff.toExponential(1)}, grad max |Δ| ${maxDiff.toExponential(1)}`;
}

async function prepare(workload: WorkloadId): Promise<Prepared> {
  switch (workload) {
    case "matmul": {
      const d = matmulData();
      const a = f32(d.a, [d.n, d.n]);
      const b = f32(d.b, [d.n, d.n]);
      return { run: () => a.matmul(b).narrow(0, 0, 1).narrow(1, 0, 1).item() };
    }
    case "mlp": {
      const d = mlpData();
      const { batch, input, hidden, classes, lr } = SIZES.mlp;
      const model = new Mlp(input, hidden, classes);
      loadParams(model, d.params);
      const x = f32(d.x, [batch, input]);
      const y = i32(d.y, [batch]);
      const opt = new tg.Adam(model.parameters(), { lr });
      return {
        run: () => {
          opt.zeroGrad();
          const loss = tg.crossEntropy(model.forward(x), y);
          loss.backward();
          opt.step();
          return loss.item();
        },
      };
    }
    case "transformer": {
      const d = transformerData();
      const { vocab, batch, seq, dModel, heads, layers, lr, weightDecay } = SIZES.transformer;
      const model = new Gpt(vocab, seq, dModel, heads, layers);
      loadParams(model, d.params);
      const ids = i32(d.ids, [batch, seq]);
      const targets = i32(d.targets, [batch * seq]);
      const opt = new tg.AdamW(model.parameters(), { lr, weightDecay });
      return {
        run: () => {
          opt.zeroGrad();
          const logits = model.forward(ids);
          const loss = tg.crossEntropy(logits.reshape(batch * seq, vocab), targets);
          loss.backward();
          opt.step();
          return loss.item();
        },
      };
    }
    case "cross-entropy": {
      const d = crossEntropyData();
      const logits = f32(d.logits, [d.rows, d.classes], true);
      const labels = i32(d.labels, [d.rows]);
      const run = (): number => {
        logits.grad = null;
        const loss = tg.crossEntropy(logits, labels);
        loss.backward();
        return loss.item();
      };
      const loss = run();
      const grad = logits.grad!.contiguous().data.toTypedArray() as Float32Array;
      const note = await checkCrossEntropyAgainstTfjs(loss, grad);
      return { run, notes: [note] };
    }
    case "elementwise": {
      const d = elementwiseData();
      const a = f32(d.a, [d.n, d.n], true);
      const b = f32(d.b, [d.n, d.n], true);
      const c = f32(d.c, [d.n], true);
      return {
        run: () => {
          a.grad = null;
          b.grad = null;
          c.grad = null;
          const s = a.mul(b).add(c).tanh().sum();
          s.backward();
          return s.item();
        },
      };
    }
    case "overhead": {
      const { ops, mul, add } = SIZES.overhead;
      const x0 = tg.tensor(1, { requiresGrad: true });
      return {
        run: () => {
          x0.grad = null;
          let x = x0;
          for (let i = 0; i < ops; i++) x = i % 2 === 0 ? x.mul(mul) : x.add(add);
          x.backward();
          return x0.grad!.item();
        },
      };
    }
  }
}

export async function load(): Promise<Framework> {
  const info: string[] = ["workspace package"];
  const threads = process.env.TYPEGRAD_THREADS;
  if (threads !== undefined && threads !== "") {
    // The Node entry turns the worker pool on; TYPEGRAD_THREADS picks its size (1 = single thread).
    const { setNumThreads, getNumThreads } = await import("typegrad/node");
    setNumThreads(Number(threads));
    info.push(`TYPEGRAD_THREADS=${threads} (matmul threads: ${getNumThreads()})`);
  }
  return { info, prepare };
}
