/**
 * js-pytorch 0.7 (its CPU path: nested JS arrays; the optional GPU module is never loaded and its
 * native build is skipped at install). Written with its ops by hand where its layers differ from the
 * reference, with every difference listed in the notes.
 */
import { torch } from "js-pytorch";
import {
  crossEntropyData,
  elementwiseData,
  matmulData,
  mlpData,
  type ParamMap,
  transformerData,
  transpose2d,
} from "../data.js";
import { SIZES, type WorkloadId } from "../workloads.js";
import type { Framework, Prepared } from "./types.js";

type JTensor = InstanceType<typeof torch.Tensor>;
type Nested = number | Nested[];

/** Row-major values → nested arrays of the given shape. */
function nest(data: ArrayLike<number>, shape: readonly number[]): Nested[] {
  const build = (offset: number, dim: number): Nested[] => {
    const size = shape[dim]!;
    if (dim === shape.length - 1) return Array.from({ length: size }, (_, i) => data[offset + i]!);
    const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length: size }, (_, i) => build(offset + i * stride, dim + 1));
  };
  return build(0, 0);
}

const tensor = (data: ArrayLike<number>, shape: readonly number[], requiresGrad = false): JTensor =>
  new torch.Tensor(nest(data, shape), requiresGrad);

/** Parameters with Linear weights transposed to js-pytorch's (in, out) layout. */
function parameters(params: ParamMap): Map<string, JTensor> {
  const out = new Map<string, JTensor>();
  for (const [name, p] of params) {
    const isMatrix = p.shape.length === 2 && !name.includes("Embedding");
    const [rows, cols] = p.shape as [number, number];
    out.set(
      name,
      isMatrix ? tensor(transpose2d(p.data, rows, cols), [cols, rows], true) : tensor(p.data, p.shape, true),
    );
  }
  return out;
}

/** Exact ReLU via masked_fill (its nn.ReLU multiplies negatives by 1e-3, a leaky ReLU). */
const relu = (x: JTensor): JTensor => x.masked_fill(x, (v) => v < 0, 0);
const scalarOf = (t: JTensor): number => {
  const data = t.data as unknown;
  return Array.isArray(data) ? (data.flat(Number.POSITIVE_INFINITY)[0] as number) : (data as number);
};

type JAdam = InstanceType<typeof torch.optim.Adam>;
const BETAS = [0.9, 0.999];

/**
 * Its Adam has no bias correction; apply it through its public `lr` (the Adam paper's efficient
 * form, lr·√(1−β₂ᵗ)/(1−β₁ᵗ)), keeping its decoupled decay p·reg·lr equal to p·weightDecay·lr.
 */
function adamStepper(params: JTensor[], lr: number, weightDecay: number): () => void {
  const opt: JAdam = new torch.optim.Adam(params, lr, weightDecay, BETAS, 1e-8);
  let t = 0;
  return () => {
    t++;
    const c = Math.sqrt(1 - BETAS[1]! ** t) / (1 - BETAS[0]! ** t);
    opt.lr = lr * c;
    opt.reg = weightDecay / c;
    opt.step();
  };
}

const ADAM_NOTE =
  "its Adam has no bias correction: applied through its lr each step (lr·√(1−β₂ᵗ)/(1−β₁ᵗ)); betas and eps as torch's";

/**
 * The tiny GPT with js-pytorch ops, from the shared weights: activations (B, T, D), Linear weights
 * (in, out). Exported for cross-checking its gradients against typegrad's (with ReLU).
 */
export function transformer(activation: (x: JTensor) => JTensor = relu): {
  params: Map<string, JTensor>;
  loss: () => JTensor;
} {
  const d = transformerData();
  const { batch: B, seq: T, dModel: D, heads: H, layers } = SIZES.transformer;
  const Dh = D / H;
  const params = parameters(d.params);
  const w = (name: string) => params.get(name)!;
  const ids = Array.from(d.ids);
  const targets = tensor(d.targets, [B, T]);
  const causal = new Float32Array(B * H * T * T);
  for (let bh = 0; bh < B * H; bh++) {
    for (let i = 0; i < T; i++) for (let j = 0; j <= i; j++) causal[(bh * T + i) * T + j] = 1;
  }
  const mask = tensor(causal, [B, H, T, T]);
  const ones = tensor(new Float32Array(T * T).fill(1), [T, T]);
  const ce = new torch.nn.CrossEntropyLoss();

  const dense = (x: JTensor, name: string) => x.matmul(w(`${name}.weight`)).add(w(`${name}.bias`));
  const layerNorm = (x: JTensor, name: string): JTensor => {
    const centered = x.sub(x.mean(-1, true));
    const std = torch.sqrt(x.variance(-1, true).add(1e-5));
    return centered
      .div(std)
      .mul(w(`${name}.weight`))
      .add(w(`${name}.bias`));
  };
  const heads = (x: JTensor) => x.reshape([B, T, H, Dh]).transpose(1, 2);
  const softmax = (s: JTensor): JTensor => {
    const e = s.exp();
    return e.div(e.matmul(ones));
  };

  const loss = (): JTensor => {
    let x = w("tokenEmbedding.weight").at(ids).reshape([B, T, D]).add(w("positionEmbedding.weight"));
    for (let l = 0; l < layers; l++) {
      const blk = `blocks.${l}`;
      const h = layerNorm(x, `${blk}.ln1`);
      const q = heads(dense(h, `${blk}.attn.qProj`));
      const k = heads(dense(h, `${blk}.attn.kProj`));
      const v = heads(dense(h, `${blk}.attn.vProj`));
      let scores = q.matmul(k.transpose(-2, -1)).div(Math.sqrt(Dh));
      scores = scores.masked_fill(mask, (m) => m === 0, Number.NEGATIVE_INFINITY);
      const merged = softmax(scores).matmul(v).transpose(1, 2).reshape([B, T, D]);
      x = x.add(dense(merged, `${blk}.attn.outProj`));
      x = x.add(dense(activation(dense(layerNorm(x, `${blk}.ln2`), `${blk}.fc1`)), `${blk}.fc2`));
    }
    return ce.forward(dense(layerNorm(x, "lnFinal"), "head"), targets);
  };
  return { params, loss };
}

function prepare(workload: WorkloadId): Prepared {
  switch (workload) {
    case "matmul": {
      const d = matmulData();
      const a = tensor(d.a, [d.n, d.n]);
      const b = tensor(d.b, [d.n, d.n]);
      return { run: () => scalarOf(a.matmul(b).at([0], [0])), notes: ["float64 nested arrays"] };
    }
    case "mlp": {
      const d = mlpData();
      const { batch, input, lr } = SIZES.mlp;
      const p = parameters(d.params);
      const w = (name: string) => p.get(name)!;
      const x = tensor(d.x, [batch, input]);
      const y = tensor(d.y, [batch]);
      const ce = new torch.nn.CrossEntropyLoss();
      const params = [...p.values()];
      const step = adamStepper(params, lr, 0);
      return {
        run: () => {
          for (const t of params) t.zero_grad();
          const h1 = relu(x.matmul(w("fc1.weight")).add(w("fc1.bias")));
          const h2 = relu(h1.matmul(w("fc2.weight")).add(w("fc2.bias")));
          const loss = ce.forward(h2.matmul(w("fc3.weight")).add(w("fc3.bias")), y);
          loss.backward();
          step();
          return scalarOf(loss);
        },
        notes: [ADAM_NOTE, "ReLU written as masked_fill (its nn.ReLU is leaky, slope 1e-3)"],
      };
    }
    case "transformer": {
      const { lr, weightDecay } = SIZES.transformer;
      const model = transformer();
      const params = [...model.params.values()];
      // Its Adam's `reg` is a decoupled decay p ← p − lr·reg·p, i.e. AdamW's.
      const step = adamStepper(params, lr, weightDecay);
      return {
        run: () => {
          for (const t of params) t.zero_grad();
          const loss = model.loss();
          loss.backward();
          step();
          return scalarOf(loss);
        },
        exact: false,
        notes: [
          "no GELU/erf/tanh in js-pytorch: the MLP uses ReLU (masked_fill) instead of GELU, so its losses differ from the others'",
          "hand-written attention: its MultiHeadSelfAttention scales scores by 1/head_dim² instead of 1/√head_dim, and its " +
            "Softmax backward broadcasts the row sums along the wrong axis when the scores are square (T×T), so softmax is " +
            "exp(s) / (exp(s)·1) with the row sums from a T×T matmul with ones (one extra matmul per head)",
          "LayerNorm by hand with eps 1e-5 (its LayerNorm has none)",
          `AdamW = its Adam with reg = weight decay (decoupled, like AdamW); ${ADAM_NOTE}`,
          "softmax and cross-entropy without max-subtraction (its own ops)",
        ],
      };
    }
    case "cross-entropy": {
      const d = crossEntropyData();
      const logits = tensor(d.logits, [d.rows, d.classes], true);
      const labels = tensor(d.labels, [d.rows]);
      const ce = new torch.nn.CrossEntropyLoss();
      return {
        run: () => {
          logits.zero_grad();
          const loss = ce.forward(logits, labels);
          loss.backward();
          return scalarOf(loss);
        },
        notes: ["its nn.CrossEntropyLoss (softmax without max-subtraction)"],
      };
    }
    case "elementwise": {
      const d = elementwiseData();
      const a = tensor(d.a, [d.n, d.n], true);
      const b = tensor(d.b, [d.n, d.n], true);
      const c = tensor(d.c, [d.n], true);
      return {
        run: () => {
          a.zero_grad();
          b.zero_grad();
          c.zero_grad();
          const z = a.mul(b).add(c);
          const e = z.mul(2).exp();
          const s = e.sub(1).div(e.add(1)).sum(-1).sum(-1); // tanh(z) = (e^{2z} − 1)/(e^{2z} + 1)
          s.backward();
          return scalarOf(s);
        },
        notes: ["no tanh op: tanh composed as (e^{2z} − 1)/(e^{2z} + 1) (5 ops)"],
      };
    }
    case "overhead": {
      const { ops, mul, add } = SIZES.overhead;
      const x0 = new torch.Tensor([1], true);
      return {
        run: () => {
          x0.zero_grad();
          let x = x0;
          for (let i = 0; i < ops; i++) x = i % 2 === 0 ? x.mul(mul) : x.add(add);
          x.backward();
          return (x0.grad as number[])[0]!;
        },
        notes: ["a [1] tensor (it has no 0-d tensors)"],
      };
    }
  }
}

export async function load(): Promise<Framework> {
  return { info: ["CPU path (nested JS arrays, float64)"], prepare };
}
