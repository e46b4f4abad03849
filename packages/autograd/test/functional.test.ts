/**
 * Functional gradients: JAX-style grad(f) / valueAndGrad(f), and torch.autograd.grad-style
 * grad(output, inputs), which returns gradients without touching `.grad`.
 */
import type * as nd from "@typegrad/tensor";
import { describe, expect, it } from "vitest";
import { grad, type Tensor, tensor, valueAndGrad } from "../src/index.js";
import { expectClose } from "./helpers.js";

const f64 = (v: nd.NestedArray, requiresGrad = false): Tensor => tensor(v, { dtype: "float64", requiresGrad });

describe("grad(f)", () => {
  it("returns a function giving the gradient of every argument", () => {
    const df = grad((x) => x.pow(3).sum());
    const x = f64([1, -2, 0.5]);
    const [dx] = df(x);
    expect(dx!.toArray()).toEqual([3, 12, 0.75]);
    // The caller's tensor is left alone.
    expect(x.requiresGrad).toBe(false);
    expect(x.grad).toBeNull();
  });

  it("differentiates the arguments picked by argnums", () => {
    const f = (x: Tensor, y: Tensor) => x.mul(y).add(y.mul(y)).sum();
    const x = f64([1, 2]);
    const y = f64([3, 4]);
    const dy = grad(f, { argnums: 1 })(x, y);
    expect(dy.length).toBe(1);
    expect(dy[0]!.toArray()).toEqual([7, 10]);
    const both = grad(f, { argnums: [1, 0] })(x, y);
    expect(both.map((t) => t.toArray())).toEqual([
      [7, 10],
      [3, 4],
    ]);
    const all = grad(f)(x, y);
    expect(all.map((t) => t.toArray())).toEqual([
      [3, 4],
      [7, 10],
    ]);
  });

  it("gives zeros for an argument the output does not depend on", () => {
    const [, dz] = grad((x: Tensor, _z: Tensor) => x.exp().sum())(f64([0]), f64([[1, 2]]));
    expect(dz!.toArray()).toEqual([[0, 0]]);
    expect(dz!.dtype).toBe("float64");
  });

  it("grad(f, inputs) evaluates right away", () => {
    const [da, db] = grad((a, b) => a.div(b).sum(), [f64([1, 2]), f64([4, 8])]);
    expect(da!.toArray()).toEqual([0.25, 0.125]);
    expect(db!.toArray()).toEqual([-1 / 16, -2 / 64]);
  });

  it("refuses a non-scalar f", () => {
    expect(() => grad((x) => x.mul(2))(f64([1, 2]))).toThrow(/scalar/);
  });
});

describe("grad(output, inputs) like torch.autograd.grad", () => {
  it("returns gradients without touching .grad", () => {
    const x = f64([1, 2], true);
    const w = f64([3, 5], true);
    const y = x.mul(w).sum();
    const [dx, dw] = grad(y, [x, w]);
    expect(dx!.toArray()).toEqual([3, 5]);
    expect(dw!.toArray()).toEqual([1, 2]);
    expect(x.grad).toBeNull();
    expect(w.grad).toBeNull();
  });

  it("can ask for an intermediate, and returns null for an unreachable input", () => {
    const x = f64([1, 2], true);
    const other = f64([7], true);
    const h = x.mul(x);
    const [dh, dx, dOther] = grad(h.mul(3).sum(), [h, x, other]);
    expect(dh!.toArray()).toEqual([3, 3]);
    expect(dx!.toArray()).toEqual([6, 12]);
    expect(dOther).toBeNull();
  });

  it("takes gradOutputs for a non-scalar output", () => {
    const x = f64([1, 2, 3], true);
    const [dx] = grad(x.mul(x), [x], { gradOutputs: f64([1, 0, -1]) });
    expect(dx!.toArray()).toEqual([2, 0, -6]);
  });

  it("frees the graph unless retainGraph or createGraph", () => {
    const x = f64([1, 2], true);
    const y = x.exp().sum();
    grad(y, [x], { retainGraph: true });
    grad(y, [x]);
    expect(() => grad(y, [x])).toThrow(/second time/);
  });

  it("createGraph gives differentiable gradients (second derivative)", () => {
    const x = f64([0.5, -1, 2], true);
    const [dx] = grad(x.pow(3).sum(), [x], { createGraph: true });
    expect(dx!.requiresGrad).toBe(true);
    const [d2x] = grad(dx!.sum(), [x]);
    expect(d2x!.toArray()).toEqual([3, -6, 12]);
    expect(x.grad).toBeNull();
  });
});

describe("valueAndGrad", () => {
  it("returns the value and the gradients", () => {
    const [value, [dx, dy]] = valueAndGrad((x, y) => x.mul(y).sum())(f64([1, 2]), f64([3, 4]));
    expect(value.item()).toBe(11);
    expect(dx!.toArray()).toEqual([3, 4]);
    expect(dy!.toArray()).toEqual([1, 2]);
  });

  it("with argnums", () => {
    const [value, grads] = valueAndGrad((x, y) => x.mul(y).exp().sum(), { argnums: 0 })(f64([0]), f64([2]));
    expect(value.item()).toBe(1);
    expect(grads.length).toBe(1);
    expect(grads[0]!.toArray()).toEqual([2]);
  });
});

describe("createGraph in functional form", () => {
  it("grad of grad with createGraph: d²/dx² sin = -sin", () => {
    const df = grad((x) => x.sin().sum(), { createGraph: true });
    const d2f = grad((x) => df(x)[0]!.sum());
    const values = [0.3, -1.2, 2.5];
    const [second] = d2f(f64(values));
    expectClose(
      second!,
      values.map((v) => -Math.sin(v)),
    );
  });

  it("a Hessian row by row for f(x) = x0²·x1 + x1³", () => {
    const f = (x: Tensor) =>
      x
        .narrow(0, 0, 1)
        .pow(2)
        .mul(x.narrow(0, 1, 1))
        .add(x.narrow(0, 1, 1).pow(3))
        .sum();
    const x = f64([2, 3]);
    const gradF = grad(f, { createGraph: true });
    const rows = [0, 1].map((i) => grad((t: Tensor) => gradF(t)[0]!.narrow(0, i, 1).sum())(x)[0]!.toArray());
    // H = [[2·x1, 2·x0], [2·x0, 6·x1]]
    expect(rows).toEqual([
      [6, 4],
      [4, 18],
    ]);
  });
});

describe("nested functional gradients", () => {
  it("grad(grad(f)) gives the second derivative without asking for createGraph", () => {
    const f = (x: Tensor) => x.pow(3).sum();
    const d2 = grad((x: Tensor) => grad(f)(x)[0]!.sum());
    const x = tensor([2, -1], { dtype: "float64" });
    expect(d2(x)[0]!.toArray()).toEqual([12, -6]);
  });
});
