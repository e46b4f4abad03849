import type { Scalar, Tensor, Tensor1D, Tensor2D, Variable } from "@tensorflow/tfjs-core";
import {
  crossEntropyData,
  elementwiseData,
  matmulData,
  mlpData,
  oneHot,
  type ParamMap,
  transformerData,
} from "../data.js";
import { loadTfjs, type Tf } from "../tfjs-env.js";
import { SIZES, type WorkloadId } from "../workloads.js";
import type { Framework, Prepared } from "./types.js";

/** TF.js (tfjs-core + the wasm or cpu backend), functional ops, gradients from tfjs's own autodiff. */
export async function load(backend: "wasm" | "cpu"): Promise<Framework> {
  const { tf, info } = await loadTfjs(backend);
  return { info, prepare: (w) => prepare(tf, w) };
}

function variables(tf: Tf, params: ParamMap): Map<string, Variable> {
  const vars = new Map<string, Variable>();
  for (const [name, p] of params) vars.set(name, tf.variable(tf.tensor(p.data, p.shape, "float32"), true, name));
  return vars;
}

function prepare(tf: Tf, workload: WorkloadId): Prepared {
  /** y = x·Wᵀ + b with W in torch layout (out, in). */
  const linear = (x: Tensor, w: Tensor, b: Tensor): Tensor2D =>
    tf.add(tf.matMul(x as Tensor2D, w as Tensor2D, false, true), b);
  const meanCe = (onehot: Tensor, logits: Tensor): Scalar =>
    tf.losses.softmaxCrossEntropy(onehot, logits, undefined, 0, tf.Reduction.MEAN) as Scalar;

  switch (workload) {
    case "matmul": {
      const d = matmulData();
      const a = tf.tensor2d(d.a, [d.n, d.n]);
      const b = tf.tensor2d(d.b, [d.n, d.n]);
      return { run: () => tf.tidy(() => tf.matMul(a, b).dataSync()[0]!) };
    }
    case "mlp": {
      const d = mlpData();
      const { batch, input, classes, lr } = SIZES.mlp;
      const v = variables(tf, d.params);
      const p = (name: string) => v.get(name)!;
      const x = tf.tensor2d(d.x, [batch, input]);
      const y = tf.tensor2d(oneHot(d.y, classes), [batch, classes]);
      const opt = tf.train.adam(lr, 0.9, 0.999, 1e-8);
      const lossFn = (): Scalar => {
        const h1 = tf.relu(linear(x, p("fc1.weight"), p("fc1.bias")));
        const h2 = tf.relu(linear(h1, p("fc2.weight"), p("fc2.bias")));
        return meanCe(y, linear(h2, p("fc3.weight"), p("fc3.bias")));
      };
      return {
        run: () => tf.tidy(() => opt.minimize(lossFn, true)!.dataSync()[0]!),
        notes: ["labels one-hot encoded once, outside the timing (softmaxCrossEntropy takes one-hot labels)"],
      };
    }
    case "transformer": {
      const d = transformerData();
      const { vocab, batch: B, seq: T, dModel: D, heads: H, layers, lr, weightDecay } = SIZES.transformer;
      const Dh = D / H;
      const v = variables(tf, d.params);
      const p = (name: string) => v.get(name)!;
      const varList = [...v.values()];
      const idsOneHot = tf.tensor2d(oneHot(d.ids, vocab), [B * T, vocab]);
      const targets = tf.tensor2d(oneHot(d.targets, vocab), [B * T, vocab]);
      const causal = new Float32Array(T * T);
      for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) causal[i * T + j] = -1e9;
      const mask = tf.tensor2d(causal, [T, T]);
      const opt = tf.train.adam(lr, 0.9, 0.999, 1e-8);

      const layerNorm = (x: Tensor, name: string): Tensor => {
        const centered = tf.sub(x, tf.mean(x, -1, true));
        const variance = tf.mean(tf.square(centered), -1, true);
        return tf.add(
          tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, 1e-5))), p(`${name}.weight`)),
          p(`${name}.bias`),
        );
      };
      const dense = (x: Tensor, name: string) => linear(x, p(`${name}.weight`), p(`${name}.bias`));
      const gelu = (x: Tensor): Tensor => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
      const heads = (x: Tensor): Tensor => tf.transpose(tf.reshape(x, [B, T, H, Dh]), [0, 2, 1, 3]);

      const lossFn = (): Scalar => {
        const tok = tf.matMul(idsOneHot, p("tokenEmbedding.weight") as Tensor2D);
        let x: Tensor = tf.reshape(tf.add(tf.reshape(tok, [B, T, D]), p("positionEmbedding.weight")), [B * T, D]);
        for (let l = 0; l < layers; l++) {
          const blk = `blocks.${l}`;
          const h = layerNorm(x, `${blk}.ln1`);
          const q = heads(dense(h, `${blk}.attn.qProj`));
          const k = heads(dense(h, `${blk}.attn.kProj`));
          const val = heads(dense(h, `${blk}.attn.vProj`));
          const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(Dh)), mask);
          const attended = tf.matMul(tf.softmax(scores), val);
          const merged = tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [B * T, D]);
          x = tf.add(x, dense(merged, `${blk}.attn.outProj`));
          x = tf.add(x, dense(gelu(dense(layerNorm(x, `${blk}.ln2`), `${blk}.fc1`)), `${blk}.fc2`));
        }
        return meanCe(targets, dense(layerNorm(x, "lnFinal"), "head"));
      };
      return {
        run: () =>
          tf.tidy(() => {
            const { value, grads } = tf.variableGrads(lossFn, varList);
            const loss = value.dataSync()[0]!;
            // AdamW = decoupled decay (p ← p·(1 − lr·wd), torch's order) + Adam; tfjs has no AdamW.
            for (const w of varList) w.assign(tf.mul(w, 1 - lr * weightDecay));
            opt.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
            return loss;
          }),
        notes: [
          "hand-written model, same parameters and math as typegrad's (pre-LN, causal MHA, exact-erf GELU MLP, eps 1e-5)",
          "token embedding as one-hot · table matmul (the wasm backend has no UnsortedSegmentSum for gather's gradient); causal mask added as −1e9",
          "AdamW = tf.train.adam plus decoupled weight decay applied by hand (tfjs has no AdamW)",
        ],
      };
    }
    case "cross-entropy": {
      const d = crossEntropyData();
      const logits = tf.tensor2d(d.logits, [d.rows, d.classes]);
      const labels = tf.tensor2d(oneHot(d.labels, d.classes), [d.rows, d.classes]);
      const vg = tf.valueAndGrad((x: Tensor) => meanCe(labels, x));
      return {
        run: () => tf.tidy(() => vg(logits).value.dataSync()[0]!),
        notes: ["softmaxCrossEntropy with one-hot labels (encoded once, outside the timing)"],
      };
    }
    case "elementwise": {
      const d = elementwiseData();
      const a = tf.tensor2d(d.a, [d.n, d.n]);
      const b = tf.tensor2d(d.b, [d.n, d.n]);
      const c = tf.tensor1d(d.c);
      const vg = tf.valueAndGrads((x: Tensor, y: Tensor, z: Tensor) => tf.sum(tf.tanh(tf.add(tf.mul(x, y), z))));
      return { run: () => tf.tidy(() => vg([a, b, c as Tensor1D]).value.dataSync()[0]!) };
    }
    case "overhead": {
      const { ops, mul, add } = SIZES.overhead;
      const x0 = tf.scalar(1);
      const chain = (x: Tensor): Tensor => {
        let y = x;
        for (let i = 0; i < ops; i++) y = i % 2 === 0 ? tf.mul(y, mul) : tf.add(y, add);
        return y;
      };
      const g = tf.grad(chain);
      return { run: () => tf.tidy(() => g(x0).dataSync()[0]!) };
    }
  }
}
