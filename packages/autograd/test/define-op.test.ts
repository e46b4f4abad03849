/**
 * Custom ops: forward on NDArrays, backward written in Tensor ops, so gradcheck and gradgradcheck
 * both pass; ctx.needsInputGrad lets backward skip work; wrong gradient counts are reported.
 */
import * as nd from "@typegrad/tensor";
import { describe, expect, it } from "vitest";
import { defineOp, gradcheck, gradgradcheck, noGrad, type Tensor, tensor } from "../src/index.js";
import { expectClose, Gen, uniform } from "./helpers.js";

const cube = defineOp({
  name: "cube",
  forward(ctx, x) {
    ctx.saveForBackward(x);
    return nd.mul(nd.mul(x, x), x);
  },
  backward(ctx, g) {
    const [x] = ctx.saved as [Tensor];
    return [g.mul(x.mul(x)).mul(3)];
  },
});

/** softplus(x) = max(x, 0) + log1p(exp(-|x|)): no overflow for large |x|. */
const stableSoftplus = defineOp({
  name: "stableSoftplus",
  forward(ctx, x) {
    ctx.saveForBackward(x);
    return nd.add(nd.relu(x), nd.log1p(nd.exp(nd.neg(nd.abs(x)))));
  },
  backward(ctx, g) {
    const [x] = ctx.saved as [Tensor];
    return [g.mul(x.sigmoid())];
  },
});

/** a·b + a, with a backward that computes only the gradients asked for. */
const backwardCalls: boolean[][] = [];
const mulAdd = defineOp({
  name: "mulAdd",
  forward(ctx, a, b) {
    ctx.saveForBackward(a, b);
    return nd.add(nd.mul(a, b), a);
  },
  backward(ctx, g) {
    const [a, b] = ctx.saved as [Tensor, Tensor];
    backwardCalls.push([...ctx.needsInputGrad]);
    return [ctx.needsInputGrad[0] ? g.mul(b.add(1)) : null, ctx.needsInputGrad[1] ? g.mul(a) : null];
  },
});

describe("defineOp", () => {
  it("cube: forward values, gradient 3x², gradcheck and gradgradcheck", () => {
    const x = tensor([-1.5, 0.5, 2], { dtype: "float64", requiresGrad: true });
    const y = cube(x);
    expect(y.toArray()).toEqual([-3.375, 0.125, 8]);
    expect(y.gradFn!.name).toBe("cube");
    y.sum().backward();
    expect(x.grad!.toArray()).toEqual([6.75, 0.75, 12]);
    const g = new Gen(1);
    expect(gradcheck(cube, [g.leaf([3, 4])])).toBe(true);
    expect(gradgradcheck(cube, [g.transposed([3, 4])])).toBe(true);
  });

  it("stable softplus matches softplus, is finite at ±800, and passes both checks", () => {
    const x = tensor([-800, -3, 0, 3, 800], { dtype: "float64", requiresGrad: true });
    const y = stableSoftplus(x);
    expectClose(y, [0, Math.log1p(Math.exp(-3)), Math.LN2, 3 + Math.log1p(Math.exp(-3)), 800], 1e-12, 1e-12);
    y.sum().backward();
    expectClose(x.grad!, [0, 1 / (1 + Math.exp(3)), 0.5, 1 / (1 + Math.exp(-3)), 1], 1e-12, 1e-12);
    const g = new Gen(2);
    expect(gradcheck(stableSoftplus, [g.leaf([3, 4], uniform(-4, 4))])).toBe(true);
    expect(gradgradcheck(stableSoftplus, [g.leaf([3, 4], uniform(-4, 4))])).toBe(true);
  });

  it("a two-input op passes both checks and sees needsInputGrad per input", () => {
    const g = new Gen(3);
    expect(gradcheck(mulAdd, [g.leaf([3, 4]), g.leaf([3, 4])])).toBe(true);
    expect(gradgradcheck(mulAdd, [g.leaf([3, 4]), g.leaf([3, 4])])).toBe(true);

    backwardCalls.length = 0;
    const a = tensor([1, 2], { dtype: "float64", requiresGrad: true });
    const b = tensor([3, 4], { dtype: "float64" });
    mulAdd(a, b).sum().backward();
    expect(backwardCalls).toEqual([[true, false]]);
    expect(a.grad!.toArray()).toEqual([4, 5]);
    expect(gradcheck((t) => mulAdd(b, t), [g.leaf([2])])).toBe(true);
  });

  it("accepts numbers as inputs", () => {
    const x = tensor([1, 2], { dtype: "float64", requiresGrad: true });
    mulAdd(x, 3).sum().backward();
    expect(x.grad!.toArray()).toEqual([4, 4]);
  });

  it("records nothing when no input requires grad or under noGrad", () => {
    const x = tensor([1, 2], { dtype: "float64", requiresGrad: true });
    expect(cube(tensor([2])).requiresGrad).toBe(false);
    expect(noGrad(() => cube(x)).gradFn).toBeNull();
  });

  it("reports a backward that returns the wrong number of gradients", () => {
    const bad = defineOp({
      name: "badOp",
      forward(_ctx, a, b) {
        return nd.mul(a, b);
      },
      backward(_ctx, g) {
        return [g];
      },
    });
    const a = tensor([1, 2], { dtype: "float64", requiresGrad: true });
    const b = tensor([3, 4], { dtype: "float64", requiresGrad: true });
    expect(() => bad(a, b).sum().backward()).toThrow(/badOp: backward returned 1 gradients for 2 inputs/);
  });

  it("reports a backward gradient of the wrong shape, and a forward that is not an NDArray", () => {
    const wrongShape = defineOp({
      name: "wrongShape",
      forward: (_ctx, a) => nd.sum(a),
      backward: (_ctx, g) => [g],
    });
    const a = tensor([1, 2], { dtype: "float64", requiresGrad: true });
    expect(() => wrongShape(a).backward()).toThrow(
      /wrongShape produced a gradient of shape \[\] for input 0 of shape \[2\]/,
    );
    const notArray = defineOp({
      name: "notArray",
      forward: () => 3 as unknown as nd.NDArray,
      backward: (_ctx, g) => [g],
    });
    expect(() => notArray(a)).toThrow(/notArray: forward must return an NDArray/);
    expect(() => defineOp({ name: "", forward: () => nd.zeros([1]), backward: () => [] })).toThrow(/defineOp/);
  });

  it("detects in-place changes to saved inputs", () => {
    const x = tensor([1, 2], { dtype: "float64", requiresGrad: true });
    const y = cube(x);
    noGrad(() => x.mul_(2));
    expect(() => y.sum().backward()).toThrow(/saved by cube .*modified in place/);
  });

  it("gradcheck catches a wrong custom backward", () => {
    const wrong = defineOp({
      name: "wrongCube",
      forward(ctx, x) {
        ctx.saveForBackward(x);
        return nd.mul(nd.mul(x, x), x);
      },
      backward(ctx, g) {
        const [x] = ctx.saved as [Tensor];
        return [g.mul(x.mul(x)).mul(2)];
      },
    });
    expect(() => gradcheck(wrong, [new Gen(4).leaf([3])])).toThrow(/gradient mismatch/);
  });
});
