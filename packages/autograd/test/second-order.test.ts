/**
 * Double backward: gradients computed with `createGraph: true` are differentiable again. Second
 * derivatives against closed forms, Hessian-vector products against finite differences of gradients,
 * and gradgradcheck on the nonlinear primitives.
 */
import * as nd from "@typegrad/tensor";
import { describe, expect, it } from "vitest";
import { grad, gradgradcheck, type Tensor, tensor } from "../src/index.js";
import * as ops from "../src/ops/index.js";
import { awayFromZero, expectClose, flat, Gen, uniform } from "./helpers.js";

const xs = [-1.7, -0.4, 0.3, 1.1, 2.2];
const leafOf = (values: number[]): Tensor => tensor(values, { dtype: "float64", requiresGrad: true });

/** f'' at `values` by backward(createGraph) then backward of the first gradient's sum. */
function secondDerivative(f: (x: Tensor) => Tensor, values: number[]): { first: Tensor; second: Tensor } {
  const x = leafOf(values);
  f(x).sum().backward(undefined, { createGraph: true });
  const first = x.grad!;
  expect(first.requiresGrad).toBe(true);
  x.grad = null;
  first.sum().backward();
  return { first, second: x.grad! };
}

describe("second derivatives by backward(createGraph) then backward again", () => {
  it("x³: 3x², then 6x", () => {
    const { first, second } = secondDerivative((x) => x.pow(3), xs);
    expectClose(
      first,
      xs.map((v) => 3 * v * v),
    );
    expectClose(
      second,
      xs.map((v) => 6 * v),
    );
  });

  it("x·x·x through mul: 6x", () => {
    const { second } = secondDerivative((x) => x.mul(x).mul(x), xs);
    expectClose(
      second,
      xs.map((v) => 6 * v),
    );
  });

  it("tanh: -2·tanh·(1 - tanh²)", () => {
    const { first, second } = secondDerivative((x) => x.tanh(), xs);
    expectClose(
      first,
      xs.map((v) => 1 - Math.tanh(v) ** 2),
    );
    expectClose(
      second,
      xs.map((v) => -2 * Math.tanh(v) * (1 - Math.tanh(v) ** 2)),
    );
  });

  it("sin: -sin", () => {
    const { second } = secondDerivative((x) => x.sin(), xs);
    expectClose(
      second,
      xs.map((v) => -Math.sin(v)),
    );
  });

  it("exp: exp", () => {
    const { second } = secondDerivative((x) => x.exp(), xs);
    expectClose(
      second,
      xs.map((v) => Math.exp(v)),
    );
  });

  it("sigmoid: s(1-s)(1-2s)", () => {
    const s = (v: number) => 1 / (1 + Math.exp(-v));
    const { second } = secondDerivative((x) => x.sigmoid(), xs);
    expectClose(
      second,
      xs.map((v) => s(v) * (1 - s(v)) * (1 - 2 * s(v))),
      1e-12,
      1e-9,
    );
  });

  it("log: -1/x²", () => {
    const pos = xs.map((v) => Math.abs(v));
    const { second } = secondDerivative((x) => x.log(), pos);
    expectClose(
      second,
      pos.map((v) => -1 / (v * v)),
    );
  });

  it("x⁴ three times: 24x", () => {
    const x = leafOf(xs);
    const [g1] = grad(x.pow(4).sum(), [x], { createGraph: true });
    const [g2] = grad(g1!.sum(), [x], { createGraph: true });
    const [g3] = grad(g2!.sum(), [x]);
    expectClose(
      g3!,
      xs.map((v) => 24 * v),
      1e-9,
      1e-9,
    );
  });

  it("without createGraph the gradient is a constant", () => {
    const x = leafOf(xs);
    x.pow(3).sum().backward();
    expect(x.grad!.requiresGrad).toBe(false);
    expect(x.grad!.gradFn).toBeNull();
  });
});

/** Gradient of `f` at `x` as a plain array (no graph kept). */
function gradientAt(f: (x: Tensor) => Tensor, values: nd.NDArray): Float64Array {
  const x = tensor(values, { requiresGrad: true });
  const [g] = grad(f(x), [x]);
  return g!.data.toTypedArray() as Float64Array;
}

/** Hessian-vector product two ways: double backward, and central differences of the gradient along v. */
function hvpBothWays(
  f: (x: Tensor) => Tensor,
  x0: nd.NDArray,
  v: nd.NDArray,
  eps = 1e-5,
): { analytic: number[]; numeric: number[] } {
  const x = tensor(x0, { requiresGrad: true });
  const [g] = grad(f(x), [x], { createGraph: true });
  const [hv] = grad(g!.mul(tensor(v)).sum(), [x]);
  const plus = gradientAt(f, nd.add(x0, nd.mul(v, eps)));
  const minus = gradientAt(f, nd.sub(x0, nd.mul(v, eps)));
  return { analytic: flat(hv!), numeric: Array.from(plus, (p, i) => (p - (minus[i] as number)) / (2 * eps)) };
}

describe("Hessian-vector products match finite differences of gradients", () => {
  it("negative entropy (softmax(x)·logSoftmax(x)).sum() over the last dim", () => {
    const rng = new nd.Rng(7);
    const x0 = nd.randn([3, 5], { dtype: "float64", rng });
    const v = nd.randn([3, 5], { dtype: "float64", rng });
    const { analytic, numeric } = hvpBothWays((x) => x.softmax(-1).mul(x.logSoftmax(-1)).sum(), x0, v);
    expect(Math.max(...analytic.map(Math.abs))).toBeGreaterThan(1e-3);
    expectClose(analytic, numeric, 1e-6, 0);
  });

  it("the same over dim 0", () => {
    const rng = new nd.Rng(8);
    const x0 = nd.randn([4, 3], { dtype: "float64", rng });
    const v = nd.randn([4, 3], { dtype: "float64", rng });
    const { analytic, numeric } = hvpBothWays((x) => x.softmax(0).mul(x.logSoftmax(0)).sum(), x0, v);
    expectClose(analytic, numeric, 1e-6, 0);
  });

  it("a 2-layer tanh MLP: Hv over all parameters at once", () => {
    const rng = new nd.Rng(9);
    const batch = tensor(nd.randn([6, 3], { dtype: "float64", rng }));
    const target = tensor(nd.randn([6, 2], { dtype: "float64", rng }));
    // Parameters packed in one vector so one Hv covers every block of the Hessian: W1 [4,3], b1 [4], W2 [2,4], b2 [2].
    const sizes = [12, 4, 8, 2];
    const shapes = [[4, 3], [4], [2, 4], [2]];
    const loss = (theta: Tensor): Tensor => {
      let off = 0;
      const [w1, b1, w2, b2] = sizes.map((n, i) => {
        const p = theta.narrow(0, off, n).reshape(shapes[i]!);
        off += n;
        return p;
      }) as [Tensor, Tensor, Tensor, Tensor];
      const hidden = batch.matmul(w1.T).add(b1).tanh();
      const out = hidden.matmul(w2.T).add(b2);
      return out.sub(target).pow(2).mean();
    };
    const theta0 = nd.mul(nd.randn([26], { dtype: "float64", rng }), 0.7);
    const v = nd.randn([26], { dtype: "float64", rng });
    const { analytic, numeric } = hvpBothWays(loss, theta0, v, 1e-5);
    expect(Math.max(...analytic.map(Math.abs))).toBeGreaterThan(1e-2);
    expectClose(analytic, numeric, 1e-6, 0);
  });
});

describe("gradgradcheck", () => {
  const g = new Gen(42);
  const away = awayFromZero(0.3);
  const positive = uniform(0.5, 2);
  const cases: [string, (...t: Tensor[]) => Tensor, Tensor[]][] = [
    ["mul", (a, b) => a.mul(b).mul(a), [g.leaf([3, 4]), g.leaf([4])]],
    ["div", (a, b) => a.div(b), [g.leaf([3, 4]), g.leaf([3, 1], away)]],
    ["pow (tensor exponent)", (a, b) => a.pow(b), [g.leaf([3, 4], positive), g.leaf([3, 4])]],
    ["pow (number exponent)", (a) => a.pow(3.5), [g.leaf([3, 4], positive)]],
    ["tanh", (a) => a.tanh(), [g.transposed([3, 4])]],
    ["sigmoid", (a) => a.sigmoid(), [g.leaf([3, 4])]],
    ["logSoftmax", (a) => a.logSoftmax(-1), [g.leaf([3, 4])]],
    ["softmax", (a) => a.softmax(0), [g.narrowed([3, 4])]],
    ["logsumexp", (a) => a.logsumexp([0, 1]), [g.leaf([3, 4])]],
    ["matmul", (a, b) => a.matmul(b).tanh(), [g.leaf([2, 3, 4]), g.leaf([4, 2])]],
    ["matmul 1-d·1-d", (a, b) => a.matmul(b).mul(a.matmul(b)), [g.leaf([4]), g.leaf([4])]],
    ["gelu (exact)", (a) => a.gelu(), [g.leaf([3, 4], uniform(-3, 3))]],
    ["gelu (tanh)", (a) => a.gelu("tanh"), [g.leaf([3, 4], uniform(-3, 3))]],
    ["normalCdf", (a) => ops.normalCdf(a), [g.leaf([3, 4], uniform(-3, 3))]],
    ["softplus", (a) => a.softplus(), [g.leaf([3, 4], uniform(-3, 3))]],
    ["sqrt/rsqrt", (a) => a.sqrt().add(a.rsqrt()), [g.leaf([3, 4], positive)]],
    ["log/exp", (a) => a.log().mul(a.exp()), [g.leaf([3, 4], positive)]],
    ["sin/cos", (a) => a.sin().mul(a.cos()), [g.expanded([3, 4])]],
    ["var", (a) => a.var(1), [g.leaf([3, 4])]],
    ["gather", (a) => a.gather(1, nd.array([[0, 0, 2]], { dtype: "int32" })).exp(), [g.leaf([2, 3])]],
    ["indexSelect", (a) => a.indexSelect(0, nd.array([1, 1], { dtype: "int32" })).pow(2), [g.leaf([2, 3])]],
    ["narrow/cat", (a) => a.narrow(1, -2, 2).sin(), [g.leaf([2, 4])]],
    ["a linear function (constant gradient)", (a) => a.mul(3).sum(), [g.leaf([3])]],
  ];
  it.each(cases)("%s", (_name, fn, inputs) => {
    expect(gradgradcheck(fn, inputs)).toBe(true);
  });

  it("fails when the first gradient is cut from the graph", () => {
    const x = new Gen(5).leaf([4]);
    expect(gradgradcheck((t) => t.mul(t).sum(), [x])).toBe(true);
    // d/dt of t·stop(t) is a constant to autograd, but its value moves with t.
    expect(() => gradgradcheck((t) => t.mul(t.detach()).sum(), [x])).toThrow(/gradient mismatch/);
  });
});

describe("fused cross-entropy", () => {
  it("its gradient is differentiable (gradgradcheck with weights and smoothing)", async () => {
    const nd = await import("@typegrad/tensor");
    const { gradgradcheck, randn, softmaxCrossEntropy } = await import("../src/index.js");
    const targets = {
      target: new nd.NDArray(Int32Array.from([1, 0, 2]), [3]),
      valid: new nd.NDArray(Uint8Array.from([1, 0, 1]), [3]),
      weight: new nd.NDArray(Float64Array.from([0.7, 1.3, 2]), [3]),
      smoothing: 0.15,
    };
    const x = randn([3, 3], { dtype: "float64", requiresGrad: true, rng: new nd.Rng(4) });
    expect(gradgradcheck((v) => softmaxCrossEntropy(v, targets).sum(), [x])).toBe(true);
  });
});

describe("fused layer norm", () => {
  it("its gradient is differentiable in x, weight and bias (gradgradcheck)", async () => {
    const nd = await import("@typegrad/tensor");
    const { gradgradcheck, randn, layerNorm } = await import("../src/index.js");
    const rng = new nd.Rng(8);
    const x = randn([3, 4], { dtype: "float64", requiresGrad: true, rng });
    const w = randn([4], { dtype: "float64", requiresGrad: true, rng });
    const b = randn([4], { dtype: "float64", requiresGrad: true, rng });
    expect(gradgradcheck((a, c, d) => layerNorm(a!, 1, c!, d!, 1e-5).tanh().sum(), [x, w, b])).toBe(true);
  });
});
