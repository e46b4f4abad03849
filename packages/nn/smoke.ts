import { tensor, randn, gradcheck, noGrad, Tensor, manualSeed } from "@typegrad/autograd";
import * as nd from "@typegrad/tensor";
import { Linear } from "./src/layers/linear.js";
import { Sequential, Tanh } from "./src/layers/basic.js";
import { LayerNorm } from "./src/layers/norm.js";
import { Embedding } from "./src/layers/embedding.js";
import { MultiHeadAttention, scaledDotProductAttention } from "./src/attention.js";
import { TransformerBlock } from "./src/layers/transformer.js";
manualSeed(0);
const mlp = new Sequential(new Linear(2, 8), new Tanh(), new Linear(8, 1));
console.log(mlp.namedParameters().map(([n, p]) => `${n}${JSON.stringify(p.shape)}`).join(" "));
const X = tensor([[0,0],[0,1],[1,0],[1,1]]); const Y = tensor([[0],[1],[1],[0]]);
for (let i = 0; i < 2000; i++) {
  const out = mlp.forward(X) as Tensor;
  const loss = out.sub(Y).pow(2).mean();
  mlp.zeroGrad(); loss.backward();
  noGrad(() => { for (const p of mlp.parameters()) p.copy_(p.sub(p.grad!.mul(0.5))); });
  if (i % 500 === 0 || i === 1999) console.log(i, loss.item());
}
const ln = new LayerNorm(5).to("float64");
const x = randn([3,5], {dtype: "float64", requiresGrad: true});
console.log("ln gc", gradcheck((x) => ln.forward(x).tanh(), [x]), gradcheck(() => ln.forward(x).mul(x).sum(), [ln.weight!, ln.bias!]));
const mha = new MultiHeadAttention(8, 2).to("float64");
const q = randn([2, 4, 8], {dtype: "float64", requiresGrad: true});
console.log("mha gc", gradcheck((q) => mha.forward(q, q, q, {isCausal: true}), [q]));
// fully masked row
const mask = nd.array([[true, false],[false,false]]);
const qq = randn([2, 2, 4], {dtype: "float64", requiresGrad: true});
const o = scaledDotProductAttention(qq, qq, qq, {attnMask: mask});
o.sum().backward(); console.log("masked", o.toArray(), qq.grad!.toArray().toString().includes("NaN"));
console.log("sdpa gc", gradcheck((qq) => scaledDotProductAttention(qq, qq, qq, {attnMask: mask}), [qq]));
const emb = new Embedding(10, 4, {paddingIdx: 0});
const e = emb.forward(tensor([[0, 1, 0, 3]], {dtype: "int32"}));
e.sum().backward(); console.log("emb", e.shape, emb.weight.grad!.data.get(0,0), emb.weight.grad!.data.get(1,0));
const blk = new TransformerBlock(16, 2);
console.log(blk.namedParameters().map(([n]) => n).join(" "));
const t0 = performance.now(); const h = blk.forward(randn([4, 32, 16])); h.sum().backward(); console.log("block fwd+bwd ms", performance.now()-t0);
