/**
 * Anomaly mode: the first op to make a NaN or an Infinity (forward or backward) throws an AnomalyError
 * naming the op, the shapes, the bad values and the forward call site in this file; off by default,
 * where NaN flows through silently like PyTorch; the state is restored however detectAnomaly exits.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as nd from "@typegrad/tensor";
import { afterEach, describe, expect, it } from "vitest";
import { gradientCheckHook } from "../src/engine.js";
import {
  AnomalyError,
  defineOp,
  detectAnomaly,
  gradcheck,
  isAnomalyEnabled,
  noGrad,
  setDetectAnomaly,
  type Tensor,
  tensor,
} from "../src/index.js";
import { nodeCreatedHook } from "../src/node.js";

const FILE = fileURLToPath(import.meta.url);
const SOURCE = readFileSync(FILE, "utf8").split("\n");
/** `anomaly.test.ts:<line>` of the line carrying the comment `// <marker>`. */
function at(marker: string): string {
  const i = SOURCE.findIndex((l) => l.includes(`// ${marker}`) && !l.includes("at("));
  if (i < 0) throw new Error(`marker ${marker} not found`);
  return `anomaly.test.ts:${i + 1}:`;
}

/** The AnomalyError `fn` throws. */
function anomaly(fn: () => unknown): AnomalyError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AnomalyError) return e;
    throw e;
  }
  throw new Error("expected an AnomalyError, nothing was thrown");
}

afterEach(() => setDetectAnomaly(false));

describe("anomaly mode: forward", () => {
  it("catches NaN from log of a negative number, naming log, the shapes, the values and this line", () => {
    const x = tensor([1, -2, 3, -4], { requiresGrad: true });
    const e = anomaly(() => detectAnomaly(() => x.mul(2).log())); // log-site
    expect(e).toBeInstanceOf(TypeError);
    expect(e.name).toBe("AnomalyError");
    expect(e.op).toBe("log");
    expect(e.phase).toBe("forward");
    expect(e.message).toMatch(/^log: forward output of shape \[4\] \(float32\) contains NaN/);
    expect(e.message).toContain("2 NaN values, first at flat index 1");
    expect(e.message).toContain("although every input is finite");
    expect(e.message).toContain("input shapes: [4] float32");
    expect(e.message).toContain(at("log-site"));
    expect(e.callSite).toContain(at("log-site"));
    expect(e.callSite).toContain(FILE);
  });

  it("catches Infinity from division by zero, by a number or by a tensor", () => {
    const x = tensor([[1, 2, 3]], { requiresGrad: true });
    const e = anomaly(() => detectAnomaly(() => x.div(0))); // div-number
    expect(e.op).toBe("div");
    expect(e.message).toContain("contains Infinity: 3 +Infinity values, first at flat index 0");
    expect(e.message).toContain("shape [1,3]");
    expect(e.message).toContain(at("div-number"));

    const y = tensor([2, 0, -1]);
    const e2 = anomaly(() => detectAnomaly(() => x.neg().div(y))); // div-tensor
    expect(e2.op).toBe("div");
    expect(e2.message).toContain("1 -Infinity value, at flat index 1");
    expect(e2.message).toContain("input shapes: [1,3] float32, [3] float32");
    expect(e2.message).toContain(at("div-tensor"));
  });

  it("reports inputs that already contain NaN, so the op that made it is the first one with finite inputs", () => {
    const bad = tensor([1, Number.NaN, 2], { requiresGrad: true }); // a leaf: never checked itself
    const e = anomaly(() => detectAnomaly(() => bad.mul(3)));
    expect(e.op).toBe("mul");
    expect(e.message).toContain("input 0 (a leaf) already contains NaN (1 NaN value, at flat index 1)");
    bad.name = "features";
    expect(anomaly(() => detectAnomaly(() => bad.add(tensor([1])))).message).toContain(
      'input 0 (a leaf named "features") already contains NaN',
    );
    expect(e.message).toContain("so the NaN was made before mul");
    expect(e.message).not.toContain("although every input is finite");

    // The culprit in a chain is the first op whose inputs are finite.
    const x = tensor([4, -2], { requiresGrad: true });
    const e2 = anomaly(() => detectAnomaly(() => x.add(1).sqrt().exp().sum())); // chain-site
    expect(e2.op).toBe("sqrt");
    expect(e2.message).toContain("although every input is finite");
    expect(e2.message).toContain(at("chain-site"));
  });

  it("lets Infinity already in an input propagate (masks), but catches the NaN it later makes", () => {
    const scores = tensor([[1, 2, 3]], { requiresGrad: true });
    const mask = nd.array([[false, false, true]]);
    detectAnomaly(() => {
      const w = scores.maskedFill(mask, -Infinity).softmax(-1);
      w.mul(tensor([[1, 2, 3]]))
        .sum()
        .backward();
    });
    expect((scores.grad!.toArray() as number[][])[0]![2]).toBe(0);

    const inf = tensor([Infinity, 1], { requiresGrad: true });
    expect(() => detectAnomaly(() => inf.mul(2).add(1))).not.toThrow();
    const e = anomaly(() => detectAnomaly(() => inf.sub(inf.mul(2))));
    expect(e.op).toBe("sub");
    expect(e.message).toContain("contains NaN: 1 NaN value, at flat index 0");
    expect(e.message).toContain("input 0 (a leaf) contains Infinity (1 +Infinity value, at flat index 0)");
    expect(e.message).toContain("input 1 (output of mul) contains Infinity");
  });

  it("checks only recorded ops: no input requiring grad, or noGrad, is not part of the graph", () => {
    detectAnomaly(() => {
      expect(Number.isNaN(tensor([-1]).log().item())).toBe(true);
      const x = tensor([-1], { requiresGrad: true });
      expect(Number.isNaN(noGrad(() => x.log()).item())).toBe(true);
    });
  });

  it("names a custom op and the user line that called it", () => {
    const inv = defineOp({
      name: "myInverse",
      forward: (_ctx, x) => nd.div(1, x),
      backward: (_ctx, g) => [g],
    });
    const x = tensor([0, 1], { requiresGrad: true });
    const e = anomaly(() => detectAnomaly(() => inv(x))); // custom-forward
    expect(e.op).toBe("myInverse");
    expect(e.message).toContain("1 +Infinity value, at flat index 0");
    expect(e.message).toContain(at("custom-forward"));
  });
});

describe("anomaly mode: backward", () => {
  it("catches the Infinity gradient of sqrt at 0, naming sqrt, the input and the forward call site", () => {
    const x = tensor([0, 1, 4], { requiresGrad: true });
    const e = anomaly(() =>
      detectAnomaly(() => {
        const y = x.sqrt(); // sqrt-site
        y.sum().backward();
      }),
    );
    expect(e.op).toBe("sqrt");
    expect(e.phase).toBe("backward");
    expect(e.message).toMatch(/^sqrt: backward returned a gradient for input 0 \(shape \[3\], float32\)/);
    expect(e.message).toContain("contains Infinity: 1 +Infinity value, at flat index 0");
    expect(e.message).toContain("from a finite incoming gradient of shape [3]");
    expect(e.message).toContain(`forward call site: ${FILE}:`);
    expect(e.message).toContain(at("sqrt-site"));
    expect(x.grad).toBeNull(); // nothing half-written
  });

  it("names a defineOp whose backward returns NaN, and which input got it", () => {
    const broken = defineOp({
      name: "brokenScale",
      forward: (_ctx, a, b) => nd.mul(a, b),
      backward: (_ctx, g) => [g, g.mul(Number.NaN)],
    });
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4], { requiresGrad: true });
    const e = anomaly(() =>
      detectAnomaly(() => {
        const y = broken(a, b).exp(); // broken-site
        y.sum().backward();
      }),
    );
    expect(e.op).toBe("brokenScale");
    expect(e.message).toContain("backward returned a gradient for input 1 (shape [2], float32)");
    expect(e.message).toContain("2 NaN values, first at flat index 0");
    expect(e.message).toContain(at("broken-site"));

    // A gradient for an input that doesn't require grad is dropped by the engine, so it is not an anomaly.
    const c = tensor([3, 4]);
    detectAnomaly(() => broken(a, c).sum().backward());
    expect(a.grad!.toArray()).toEqual([1, 1]);
  });

  it("in double backward (createGraph) names the op whose backward made it, not an op inside the rule", () => {
    const x = tensor([0, 1], { requiresGrad: true });
    const e = anomaly(() => detectAnomaly(() => x.sqrt().sum().backward(undefined, { createGraph: true })));
    expect(e.op).toBe("sqrt");
    expect(e.phase).toBe("backward");
  });

  it("catches a non-finite gradient passed to backward() before it reaches any rule", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const e = anomaly(() => detectAnomaly(() => x.mul(2).backward(tensor([1, Number.NaN]))));
    expect(e.op).toBe("mul");
    expect(e.message).toContain("the gradient flowing into its backward (shape [2]) already contains NaN");
    expect(e.message).toContain("the gradient passed to backward()");
  });

  it("checks the gradients accumulated into leaves", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    x.grad = tensor([Number.NaN, 0]);
    const e = anomaly(() => detectAnomaly(() => x.mul(2).sum().backward()));
    expect(e.phase).toBe("grad");
    expect(e.message).toContain("the .grad accumulated into a leaf tensor of shape [2] contains NaN");
    expect(e.message).toContain(".grad held non-finite values before this backward()");

    // A hook that returns NaN: the leaf is the root, so no rule runs before the .grad check.
    const w = tensor([1, 2], { requiresGrad: true });
    w.registerHook((g) => g.mul(Number.NaN));
    const e2 = anomaly(() => detectAnomaly(() => w.backward(tensor([1, 1]))));
    expect(e2.message).toContain("the gradient reaching it already did");
  });

  it("leaves finite computations alone: gradcheck and an MLP-ish graph pass under anomaly mode", () => {
    const x = tensor(nd.randn([3, 4], { dtype: "float64", rng: new nd.Rng(1) }), { requiresGrad: true });
    const w = tensor(nd.randn([4, 2], { dtype: "float64", rng: new nd.Rng(2) }), { requiresGrad: true });
    detectAnomaly(() => {
      expect(gradcheck((a: Tensor, b: Tensor) => a.matmul(b).tanh().logSoftmax(-1).sum(), [x, w])).toBe(true);
      x.matmul(w).relu().pow(2).mean().backward();
    });
    expect(w.grad!.shape).toEqual([4, 2]);
  });
});

describe("anomaly mode: switching", () => {
  it("is off by default with both hooks null, and off lets NaN through silently like PyTorch", () => {
    expect(isAnomalyEnabled()).toBe(false);
    expect(nodeCreatedHook).toBeNull();
    expect(gradientCheckHook).toBeNull();
    const x = tensor([-1, 0, 4], { requiresGrad: true });
    const y = x.log().add(x.sqrt());
    expect(Number.isNaN((y.toArray() as number[])[0]!)).toBe(true);
    y.sum().backward();
    const g = x.grad!.toArray() as number[];
    expect(g[1]).toBe(Infinity);
    expect(Number.isNaN((x.div(0).mul(0).toArray() as number[])[1]!)).toBe(true);
  });

  it("restores the previous state after detectAnomaly returns or throws", () => {
    expect(detectAnomaly(() => isAnomalyEnabled())).toBe(true);
    expect(isAnomalyEnabled()).toBe(false);
    expect(() =>
      detectAnomaly(() => {
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(isAnomalyEnabled()).toBe(false);
    const x = tensor([-1], { requiresGrad: true });
    expect(() => detectAnomaly(() => x.log())).toThrow(AnomalyError);
    expect(isAnomalyEnabled()).toBe(false);
    expect(nodeCreatedHook).toBeNull();
    expect(gradientCheckHook).toBeNull();
  });

  it("nests: an inner detectAnomaly restores the outer state, on or off", () => {
    const x = tensor([-1], { requiresGrad: true });
    detectAnomaly(() => {
      detectAnomaly(() => expect(isAnomalyEnabled()).toBe(true));
      expect(isAnomalyEnabled()).toBe(true);
      expect(() => detectAnomaly(() => x.log())).toThrow(AnomalyError);
      expect(isAnomalyEnabled()).toBe(true);
      expect(() => x.log()).toThrow(AnomalyError);
    });
    expect(isAnomalyEnabled()).toBe(false);

    setDetectAnomaly(true);
    expect(() => x.log()).toThrow(AnomalyError);
    setDetectAnomaly(false);
    expect(() => x.log()).not.toThrow();
  });

  it("works with async functions, restoring the state once the promise settles", async () => {
    const x = tensor([-1], { requiresGrad: true });
    const p = detectAnomaly(async () => {
      await Promise.resolve();
      expect(isAnomalyEnabled()).toBe(true);
      return x.log();
    });
    await expect(p).rejects.toThrow(AnomalyError);
    expect(isAnomalyEnabled()).toBe(false);
    const v = await detectAnomaly(async () => x.abs().item());
    expect(v).toBe(1);
    expect(isAnomalyEnabled()).toBe(false);
  });

  it("rejects non-boolean and non-function arguments", () => {
    expect(() => setDetectAnomaly("yes" as unknown as boolean)).toThrow(/setDetectAnomaly: expected a boolean/);
    expect(() => detectAnomaly(null as unknown as () => void)).toThrow(/detectAnomaly: expected a function/);
    expect(isAnomalyEnabled()).toBe(false);
  });
});
