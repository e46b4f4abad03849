import * as tg from "@typegrad/autograd";
import { describe, expect, it } from "vitest";
import { causalMask } from "../src/attention.js";
import { Sequential, Tanh } from "../src/layers/basic.js";
import { Embedding } from "../src/layers/embedding.js";
import { Linear } from "../src/layers/linear.js";
import { LayerNorm } from "../src/layers/norm.js";
import { TransformerBlock } from "../src/layers/transformer.js";
import { crossEntropy } from "../src/losses/index.js";
import { Module } from "../src/module.js";
import { Adam, AdamW } from "../src/optim/index.js";

function accuracy(logits: tg.Tensor, labels: number[]): number {
  const pred = logits.argmax(1).toArray() as number[];
  return pred.filter((p, i) => p === labels[i]).length / labels.length;
}

describe("end-to-end training", () => {
  it("an MLP learns XOR to 100% train accuracy", () => {
    tg.manualSeed(0);
    const model = new Sequential(new Linear(2, 8), new Tanh(), new Linear(8, 2));
    const x = tg.tensor([
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ]);
    const labels = [0, 1, 1, 0];
    const y = tg.tensor(labels, { dtype: "int32" });
    const opt = new Adam(model.parameters(), { lr: 0.05 });
    let loss = Number.NaN;
    for (let step = 0; step < 300; step++) {
      const l = crossEntropy(model.forward(x) as tg.Tensor, y);
      opt.zeroGrad();
      l.backward();
      opt.step();
      loss = l.item();
    }
    expect(loss).toBeLessThan(0.01);
    expect(
      accuracy(
        tg.noGrad(() => model.forward(x) as tg.Tensor),
        labels,
      ),
    ).toBe(1);
  });

  it("an MLP learns two moons to 100% train accuracy", () => {
    const rng = new tg.Rng(3);
    const xs: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 200; i++) {
      const c = i % 2;
      const t = Math.PI * rng.next();
      xs.push([
        (c ? 1 - Math.cos(t) : Math.cos(t)) + 0.08 * rng.normal(),
        (c ? 0.5 - Math.sin(t) : Math.sin(t)) + 0.08 * rng.normal(),
      ]);
      labels.push(c);
    }
    tg.manualSeed(1);
    const model = new Sequential(new Linear(2, 32), new Tanh(), new Linear(32, 32), new Tanh(), new Linear(32, 2));
    const x = tg.tensor(xs);
    const y = tg.tensor(labels, { dtype: "int32" });
    const opt = new Adam(model.parameters(), { lr: 0.02 });
    for (let step = 0; step < 400; step++) {
      const l = crossEntropy(model.forward(x) as tg.Tensor, y);
      opt.zeroGrad();
      l.backward();
      opt.step();
    }
    expect(
      accuracy(
        tg.noGrad(() => model.forward(x) as tg.Tensor),
        labels,
      ),
    ).toBe(1);
  });

  it("a 1-block transformer overfits a 32-token sequence (loss < 0.05)", () => {
    class TinyLM extends Module {
      tok = new Embedding(16, 32);
      pos = new Embedding(32, 32);
      block = new TransformerBlock(32, 4);
      ln = new LayerNorm(32);
      head = new Linear(32, 16);
      forward(ids: tg.Tensor): tg.Tensor {
        const T = ids.shape[1]!;
        const h = this.tok.forward(ids).add(this.pos.forward(tg.arange(T, undefined, 1, { dtype: "int32" })));
        return this.head.forward(this.ln.forward(this.block.forward(h, { isCausal: true })));
      }
    }
    tg.manualSeed(0);
    const rng = new tg.Rng(7);
    const seq = Array.from({ length: 33 }, () => rng.int(0, 16));
    const x = tg.tensor([seq.slice(0, 32)], { dtype: "int32" });
    const y = tg.tensor(seq.slice(1), { dtype: "int32" });
    const model = new TinyLM();
    const opt = new AdamW(model.parameters(), { lr: 0.01, weightDecay: 0 });
    let loss = Number.NaN;
    for (let step = 0; step < 150 && !(loss < 0.05); step++) {
      const logits = model.forward(x);
      const l = crossEntropy(logits.reshape(32, 16), y);
      opt.zeroGrad();
      l.backward();
      opt.step();
      loss = l.item();
    }
    expect(loss).toBeLessThan(0.05);
    // The causal mask is what makes this next-token prediction: position t sees tokens ≤ t only.
    expect(causalMask(3, 3).toArray()).toEqual([
      [true, false, false],
      [true, true, false],
      [true, true, true],
    ]);
  });
});

describe("TransformerBlock masks", () => {
  it("an explicit causal attnMask matches the default causal block; isCausal: false differs", () => {
    tg.manualSeed(2);
    const block = new TransformerBlock(8, 2);
    const x = tg.randn([2, 5, 8]);
    const byDefault = block.forward(x).toArray();
    const explicit = block.forward(x, { attnMask: causalMask(5, 5) }).toArray();
    expect(explicit).toEqual(byDefault);
    expect(block.forward(x, { isCausal: false }).toArray()).not.toEqual(byDefault);
  });
  it("freed graphs raise a StateError (a TypeError), as API.md requires", async () => {
    const { StateError } = await import("@typegrad/tensor");
    const x = tg.tensor([1, 2], { requiresGrad: true });
    const y = x.mul(x).sum();
    y.backward();
    expect(() => y.backward()).toThrow(StateError);
    expect(() => y.backward()).toThrow(TypeError);
  });
});
