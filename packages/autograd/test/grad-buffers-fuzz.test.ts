/**
 * Differential fuzz of recycled gradient buffers: random graphs of ~50 op kinds (elementwise,
 * broadcasting, reductions, softmax variants, products, LayerNorm, views, cat/stack/narrow, gathers,
 * dtype casts, cross-entropy), with random retainGrad and hooks. The recycling `.backward()` must equal,
 * bit for bit, `backward(…, { inputs })` (which never recycles) although the pool is first filled with
 * NaN buffers of every size involved, so any element a kernel leaves unwritten shows; and leaf
 * gradients must survive later kernels taking every pooled buffer. Two passes through a retained graph
 * must give exactly twice the reference.
 */
import * as nd from "@typegrad/tensor";
import { expect, it } from "vitest";
import {
  backward,
  cat,
  causalSoftmax,
  layerNorm,
  linear,
  softmaxCrossEntropy,
  stack,
  Tensor,
  where,
} from "../src/index.js";

type DT = "float32" | "float64";
const R = 64,
  C = 256;

function poison(dt: DT) {
  const sizes = [8192, 16384, 32768, 65536, 131072];
  for (const n of sizes)
    for (let k = 0; k < 6; k++) {
      nd.recycleBuffer(dt === "float32" ? new Float32Array(n).fill(NaN) : new Float64Array(n).fill(NaN));
    }
}
function drain(dt: DT) {
  for (const n of [8192, 16384, 32768, 65536, 131072])
    for (let k = 0; k < 40; k++) nd.full([n], 1234, { dtype: dt }).clone();
}

function build(seed: number, dt: DT) {
  const rng = new nd.Rng(seed);
  let s = seed * 7919 + 1;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const pick = <T>(a: T[]) => a[Math.floor(rnd() * a.length)]!;
  const leaf = (shape: number[]) => new Tensor(nd.randn(shape, { dtype: dt, rng }), { requiresGrad: true });
  const x = leaf([R, C]);
  const y = leaf([R, C]);
  const W = leaf([C, C]);
  const bias = leaf([C]);
  const col = leaf([R, 1]);
  const lw = leaf([C]);
  const lb = leaf([C]);
  const leaves = [x, y, W, bias, col, lw, lb];
  const idx = nd
    .array(
      Array.from({ length: R * C }, () => Math.floor(rnd() * C)),
      { dtype: "int32" },
    )
    .reshape([R, C]);
  const perm = nd.array(
    Array.from({ length: C }, () => Math.floor(rnd() * C)),
    { dtype: "int32" },
  );
  const mask = nd.gt(nd.randn([R, C], { rng }), 0);
  const other: DT = dt === "float32" ? "float64" : "float32";
  const pool: Tensor[] = [x, y, x.mul(y)];
  const ops: ((a: Tensor, b: Tensor) => Tensor)[] = [
    (a) => a.mul(0.1).exp(),
    (a) => a.tanh(),
    (a) => a.sigmoid(),
    (a) => a.relu(),
    (a) => a.gelu(),
    (a) => a.sin(),
    (a) => a.abs(),
    (a) => a.abs().add(1).sqrt(),
    (a) => a.abs().add(1).log(),
    (a) => a.neg(),
    (a) => a.softplus(),
    (a) => a.clamp(-0.5, 0.5),
    (a) => a.mul(a),
    (a, b) => a.add(b),
    (a, b) => a.sub(b),
    (a, b) => a.mul(b),
    (a, b) => a.div(b.abs().add(1)),
    (a, b) => a.maximum(b),
    (a, b) => a.minimum(b),
    (a, b) => where(mask, a, b),
    (a) => a.add(bias),
    (a) => a.mul(col),
    (a) => a.sub(a.mean(1, true)),
    (a) => a.mul(a.max(1, true)),
    (a) => a.sub(a.logsumexp(1, true)),
    (a) => a.sum(0, true).expand([R, C]).mul(0.01),
    (a) => a.softmax(1),
    (a) => a.logSoftmax(1),
    (a) => causalSoftmax(a),
    (a) => a.softmax(0),
    (a) => a.matmul(W).mul(0.05),
    (a) => linear(a, W, bias).mul(0.05),
    (a) => linear(a, W, null).mul(0.05),
    (a) => layerNorm(a, 1, lw, lb, 1e-5),
    (a) => layerNorm(a, 1, null, null, 1e-5),
    (a) => a.transpose(0, 1).contiguous().transpose(0, 1),
    (a) => a.transpose(0, 1).mul(2).transpose(0, 1),
    (a) => a.reshape([128, 128]).mul(1.5).reshape([R, C]),
    (a, b) => cat([a.narrow(1, 0, 128), b.narrow(1, 128, 128)], 1),
    (a, b) => cat([a, b], 0).narrow(0, 32, R),
    (a, b) => stack([a, b], 0).sum(0),
    (a) => a.gather(1, idx),
    (a) => a.indexSelect(1, perm),
    (a) => a.to(other).exp().to(dt),
    (a) => a.clone(),
    (a) => a.to(other).mul(2).to(dt),
    (a, b) =>
      a
        .transpose(0, 1)
        .matmul(b)
        .mul(0.01)
        .matmul(W.narrow(0, 0, C))
        .narrow(0, 0, R),
    (a, b) => a.matmul(b.transpose(0, 1)).mul(0.01).matmul(a),
  ];
  const n = 6 + Math.floor(rnd() * 10);
  for (let i = 0; i < n; i++) {
    const a = pick(pool),
      b = pick(pool);
    const t = pick(ops)(a, b);
    if (rnd() < 0.1) t.retainGrad();
    if (rnd() < 0.1) t.registerHook(() => undefined);
    pool.push(t);
  }
  const consts = new Tensor(nd.randn([R, C], { dtype: dt, rng }));
  let loss = pool[pool.length - 1]!.mul(consts).sum();
  for (let k = 0; k < 3; k++) loss = loss.add(pick(pool).mul(consts.mul(rnd())).sum());
  if (rnd() < 0.3) {
    const target = nd.array(
      Array.from({ length: R }, () => Math.floor(rnd() * C)),
      { dtype: "int32" },
    );
    loss = loss.add(softmaxCrossEntropy(pick(pool), { target, valid: nd.ones([R], { dtype: "bool" }) }).sum());
  }
  return { loss, leaves };
}

const same = (a: Tensor, b: Tensor) => {
  const A = a.data.toTypedArray(),
    B = b.data.toTypedArray();
  let bad = 0,
    first = -1;
  for (let i = 0; i < A.length; i++)
    if (!Object.is(A[i], B[i])) {
      bad++;
      if (first < 0) first = i;
    }
  return bad === 0 ? "ok" : `${bad} differ, first @${first}: ${A[first]} vs ${B[first]}`;
};

for (const dt of ["float64", "float32"] as const) {
  it(`random graphs match the non-recycling pass (${dt})`, () => {
    const failures: string[] = [];
    for (let seed = 1; seed <= 24; seed++) {
      nd.clearBufferPool();
      const { loss, leaves } = build(seed, dt);
      const ref = backward(loss, undefined, { inputs: leaves, retainGraph: true })! as (Tensor | null)[];
      nd.clearBufferPool();
      poison(dt);
      loss.backward(undefined, { retainGraph: true });
      const check = (label: string, factor: number) =>
        leaves.forEach((l, i) => {
          const r = ref[i];
          if (!r) return;
          const want = factor === 1 ? r : new Tensor(nd.mul(r.data, factor));
          const res = l.grad ? same(l.grad, want) : "missing";
          if (res !== "ok") failures.push(`seed ${seed} ${label} leaf ${i}: ${res}`);
        });
      check("pass1", 1);
      drain(dt);
      check("pass1 after drain", 1);
      poison(dt);
      loss.backward();
      check("pass2 (retainGraph)", 2);
      drain(dt);
      check("pass2 after drain", 2);
    }
    expect(failures).toEqual([]);
  }, 60_000);
}
