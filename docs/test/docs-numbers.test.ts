/**
 * Recomputes every number the guides quote, with typegrad, and checks two things for each: the value
 * rounds to what is printed, and the printed text really appears in the guide. Change the code or the
 * guide, and this fails until they agree again.
 */
import { readFileSync } from "node:fs";
import { inspect } from "node:util";
import * as tg from "typegrad";
import { describe, expect, it } from "vitest";
import { docsDir, readGuide } from "./snippets.js";

type T = tg.Tensor;
const f64 = { dtype: "float64" as const };
const f64g = { dtype: "float64" as const, requiresGrad: true };

/** The guide quotes `printed`. */
function shows(guide: string, printed: string): void {
  const found = readGuide(guide).includes(printed);
  expect(found, `docs/${guide} should contain ${JSON.stringify(printed)}`).toBe(true);
}

/** `value` rounds to `printed` (at its precision: decimals, or mantissa digits for 1.3e-7). */
function roundsTo(value: number, printed: string): void {
  const p = printed.replace(/−/g, "-").replace(/,/g, "");
  if (p === "Infinity" || p === "-Infinity" || p === "NaN") {
    expect(String(value)).toBe(p);
    return;
  }
  if (/e/i.test(p)) {
    const [mantissa] = p.split(/e/i);
    const digits = mantissa!.includes(".") ? mantissa!.split(".")[1]!.length : 0;
    expect(value.toExponential(digits), `${value} printed as ${printed}`).toBe(p.replace(/e\+?/i, "e"));
    return;
  }
  const decimals = p.includes(".") ? p.split(".")[1]!.length : 0;
  const tolerance = 0.5 * 10 ** -decimals * (1 + 1e-9);
  expect(Math.abs(value - Number(p)), `${value} printed as ${printed}`).toBeLessThanOrEqual(tolerance);
}

/** The last number in a piece of text (`"GELU(−1) = −0.1587"` → `"−0.1587"`). */
function lastNumber(text: string): string {
  const all = text.match(/[−-]?\d[\d,]*(?:\.\d+)?(?:e[−-]?\d+)?/g);
  if (!all) throw new Error(`no number in ${JSON.stringify(text)}`);
  return all[all.length - 1]!;
}

/** Both: the guide contains `text`, and `value` rounds to the number it prints (by default its last one). */
function quoted(guide: string, text: string, value: number, printed = lastNumber(text)): void {
  expect(text).toContain(printed);
  shows(guide, text);
  roundsTo(value, printed);
}

/** The guide shows `value` the way console.log prints it (`[ 2, -4, 6 ]`). */
function logged(guide: string, value: unknown): void {
  shows(guide, inspect(value, { breakLength: Number.POSITIVE_INFINITY, compact: true }));
}

const arr = (t: T) => t.toArray() as number[];
const mat = (t: T) => t.toArray() as number[][];
const errorOf = (fn: () => unknown): Error => {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a throw");
};

// ---------------------------------------------------------------------------------------------------

describe("getting-started.md", () => {
  const g = "getting-started.md";

  it("first tensor and first gradient", () => {
    const a = tg.tensor([
      [1, 2],
      [3, 4],
    ]);
    for (const line of a.matmul(a).toString().split("\n")) shows(g, `// ${line}`);
    logged(g, a.add(10).toArray());
    logged(g, a.sum(0).toArray());
    const w = tg.tensor([1, -2, 3], { requiresGrad: true });
    const loss = w.mul(w).sum();
    loss.backward();
    expect(loss.item()).toBe(14);
    shows(g, "The loss is 14");
    logged(g, w.grad!.toArray());
    shows(g, "`[2, -4, 6]`");
  });

  it("the XOR model: loss at step 0, after 200 steps, and the predictions", () => {
    tg.manualSeed(0);
    const model = new tg.Sequential(new tg.Linear(2, 16), new tg.Tanh(), new tg.Linear(16, 2));
    const x = tg.tensor([
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ]);
    const y = tg.tensor([0, 1, 1, 0], { dtype: "int32" });
    const opt = new tg.Adam(model.parameters(), { lr: 0.05 });
    const losses: number[] = [];
    for (let step = 0; step < 200; step++) {
      const loss = tg.crossEntropy(model.forward(x) as T, y);
      losses.push(loss.item());
      opt.zeroGrad();
      loss.backward();
      opt.step();
    }
    const final = tg.noGrad(() => tg.crossEntropy(model.forward(x) as T, y).item());
    quoted(g, "0.7104", losses[0]!);
    quoted(g, "ln 2 = 0.6931", Math.log(2));
    quoted(g, "0.00014", final);
    const pred = tg.noGrad(() => (model.forward(x) as T).argmax(1));
    expect(pred.toArray()).toEqual([0, 1, 1, 0]);
    logged(g, pred.toArray());
  });

  it("the flags and plot names it quotes match the examples' sources", () => {
    const main = readFileSync(`${docsDir}/../examples/regression/main.ts`, "utf8");
    const help = readGuide(g).match(/```text\n(regression:[\s\S]*?)```/)![1]!;
    for (const m of help.matchAll(/^ {2}--(\w+)\s+(.*) \(default: (.*)\)$/gm)) {
      const [, name, text, def] = m;
      const spec = main.split("\n").find((l) => l.trimStart().startsWith(`${name}: {`));
      expect(spec, `--${name} in examples/regression/main.ts`).toBeDefined();
      expect(spec).toContain(`help: "${text}"`);
      expect(spec).toMatch(new RegExp(`default: "?${def}"?`));
    }
    const sources = ["regression", "classification", "custom-loss", "char-transformer"]
      .map((e) => readFileSync(`${docsDir}/../examples/${e}/src/run.ts`, "utf8"))
      .join("\n");
    for (const svg of [
      "regression-loss.svg",
      "regression-fit.svg",
      "classification-loss.svg",
      "custom-loss.svg",
      "char-transformer-loss.svg",
    ]) {
      shows(g, svg);
      expect(sources).toContain(svg);
    }
    expect(sources).toContain("-boundary.svg");
  });
});

// ---------------------------------------------------------------------------------------------------

describe("tensors.md", () => {
  const g = "tensors.md";
  const { nd } = tg;

  it("storage, strides, offsets and views", () => {
    const a = nd.arange(6).reshape(2, 3);
    expect([a.shape, a.strides, a.offset, a.dtype]).toEqual([[2, 3], [3, 1], 0, "float32"]);
    logged(g, a.shape);
    expect(a.get(1, 2)).toBe(5);
    const t = a.transpose(0, 1);
    expect([t.shape, t.strides, t.data === a.data, t.isContiguous()]).toEqual([[3, 2], [1, 3], true, false]);
    shows(g, "shape `[3, 2]`, strides `[1, 3]`");
    const p = nd.zeros([2, 3, 4]).permute(2, 0, 1);
    expect([p.shape, p.strides]).toEqual([
      [4, 2, 3],
      [1, 12, 4],
    ]);
    shows(g, "shape `[4, 2, 3]`, strides `[1, 12, 4]`");
    const n = a.narrow(1, 1, 2);
    expect([n.shape, n.strides, n.offset, n.toArray()]).toEqual([
      [2, 2],
      [3, 1],
      1,
      [
        [1, 2],
        [4, 5],
      ],
    ]);
    shows(g, "shape `[2, 2]`, strides `[3, 1]`, offset 1");
    logged(g, n.toArray());
    const e = nd.array([1, 2, 3]).reshape(3, 1).expand(3, 4);
    expect([e.shape, e.strides]).toEqual([
      [3, 4],
      [1, 0],
    ]);
    shows(g, "shape `[3, 4]`, strides `[1, 0]`");
    expect(a.unsqueeze(0).shape).toEqual([1, 2, 3]);
    expect(a.reshape(3, 2).data).toBe(a.data);
    const viewError = errorOf(() => t.view(6));
    expect(viewError.name).toBe("ShapeError");
    shows(g, viewError.message);
    logged(g, t.reshape(6).toArray());
    expect(t.reshape(6).data).not.toBe(a.data);
    const c = t.contiguous();
    expect([c.strides, c.data === a.data, a.contiguous() === a]).toEqual([[2, 1], false, true]);
  });

  it("broadcasting", () => {
    const out = nd.add(nd.array([[1], [2], [3]]), nd.array([10, 20, 30, 40]));
    logged(g, out.toArray());
    shows(g, errorOf(() => nd.add(nd.ones([2, 3]), nd.ones([3, 2]))).message);
  });

  it("the dtype promotion tables", () => {
    const dts = ["bool", "int32", "float32", "float64"] as const;
    for (const x of dts) {
      const row = dts.map((y) => nd.add(nd.zeros([2], { dtype: x }), nd.zeros([2], { dtype: y })).dtype);
      shows(g, `| ${x} | ${row.join(" | ")} |`);
    }
    const int = nd.zeros([2], { dtype: "int32" });
    expect(nd.add(int, 2).dtype).toBe("int32");
    shows(g, "| int32 tensor + `2` | int32 |");
    expect(nd.add(int, 2.5).dtype).toBe("float32");
    shows(g, "| int32 tensor + `2.5` | float32 |");
    expect(nd.div(int, int).dtype).toBe("float32");
    expect(nd.add(nd.zeros([2]), nd.zeros([], { dtype: "float64" })).dtype).toBe("float32");
    expect(() => tg.tensor([1, 2], { dtype: "int32", requiresGrad: true })).toThrow();
  });

  it("reductions and matmul shapes", () => {
    const x = tg.arange(24).reshape(2, 3, 4);
    expect([x.sum(1).shape, x.sum(1, true).shape, x.sum([0, 2]).shape, x.sum().shape]).toEqual([
      [2, 4],
      [2, 1, 4],
      [3],
      [],
    ]);
    logged(g, x.mean(-1).toArray());
    const shape = (a: number[], b: number[]) => tg.randn(a).matmul(tg.randn(b)).shape;
    expect(shape([2, 3], [3, 4])).toEqual([2, 4]);
    expect(shape([5, 2, 3], [3, 4])).toEqual([5, 2, 4]);
    expect(shape([2, 1, 3, 4], [5, 4, 2])).toEqual([2, 5, 3, 2]);
    shows(g, "| `[2, 1, 3, 4]` | `[5, 4, 2]` | `[2, 5, 3, 2]`");
    expect(shape([3], [3])).toEqual([]);
    expect(shape([3], [3, 4])).toEqual([4]);
    shows(g, errorOf(() => tg.randn(2, 3).matmul(tg.randn(4, 5))).message);
  });

  it("seeded randomness", () => {
    tg.manualSeed(0);
    const r = arr(tg.rand(3));
    shows(g, "0.8869, 0.0125, 0.0325");
    ["0.8869", "0.0125", "0.0325"].forEach((p, i) => roundsTo(r[i]!, p));
    tg.manualSeed(0);
    expect(arr(tg.rand(3))).toEqual(r);
  });
});

// ---------------------------------------------------------------------------------------------------

describe("autograd.md", () => {
  const g = "autograd.md";

  it("the chain-rule table: typegrad equals the hand calculation", () => {
    const w = tg.tensor(0.5, f64g);
    const b = tg.tensor(-0.3, f64g);
    const z = w.mul(2).add(b);
    const a = z.tanh();
    const L = a.sub(1).pow(2);
    z.retainGrad();
    a.retainGrad();
    L.backward();
    const ah = Math.tanh(0.7);
    const hand = {
      a: ah,
      L: (ah - 1) ** 2,
      dLda: 2 * (ah - 1),
      dadz: 1 - ah * ah,
      dLdz: 2 * (ah - 1) * (1 - ah * ah),
      dLdw: 2 * (ah - 1) * (1 - ah * ah) * 2,
    };
    const got = { a: a.item(), L: L.item(), dLda: a.grad!.item(), dLdz: z.grad!.item(), dLdw: w.grad!.item() };
    for (const k of ["a", "L", "dLda", "dLdz", "dLdw"] as const) expect(Math.abs(got[k] - hand[k])).toBeLessThan(1e-15);
    expect(b.grad!.item()).toBe(z.grad!.item());
    roundsTo(z.item(), "0.7");
    quoted(g, "0.604368", got.a);
    quoted(g, "0.156525", got.L);
    quoted(g, "−0.791264", got.dLda);
    quoted(g, "0.634740", hand.dadz);
    quoted(g, "−0.502247", got.dLdz);
    quoted(g, "−1.004494", got.dLdw);
    quoted(g, "−0.502247", b.grad!.item());
  });

  it("accumulation, broadcasting gradients, hooks", () => {
    const x = tg.tensor([3], { requiresGrad: true });
    x.mul(x).add(x).sum().backward();
    logged(g, x.grad!.toArray());
    expect(arr(x.grad!)).toEqual([7]);
    x.mul(x).add(x).sum().backward();
    expect(arr(x.grad!)).toEqual([14]);
    logged(g, [14]);

    const bias = tg.zeros([3], { requiresGrad: true });
    tg.ones(4, 3).add(bias).sum().backward();
    expect(arr(bias.grad!)).toEqual([4, 4, 4]);
    logged(g, [4, 4, 4]);

    const h = tg.tensor([1, 2], { requiresGrad: true });
    h.registerHook((gr) => gr.mul(10));
    h.mul(3).sum().backward();
    expect(arr(h.grad!)).toEqual([30, 30]);
    logged(g, [30, 30]);
  });

  it("the Hessian-vector product", () => {
    const x = tg.tensor([1, 2], f64g);
    const x0 = x.narrow(0, 0, 1);
    const x1 = x.narrow(0, 1, 1);
    const fx = x0.pow(2).mul(x1).add(x1.pow(3)).sum();
    const [gr] = tg.grad(fx, [x], { createGraph: true });
    expect(arr(gr!)).toEqual([4, 13]);
    const [hv] = tg.grad(gr!.mul(tg.tensor([1, 0], f64)).sum(), [x]);
    expect(arr(hv!)).toEqual([4, 2]);
    shows(g, "`[4, 13]`");
    shows(g, "`[[4, 2], [2, 12]]`");
    shows(g, "`H·v` = `[4, 2]`");
  });

  it("the error messages it quotes", () => {
    const v = tg.tensor([1, 2, 3], { requiresGrad: true });
    const y = v.mul(v).sum();
    y.backward();
    const twice = errorOf(() => y.backward()).message;
    shows(g, twice.slice(0, twice.indexOf(";")));
    expect(twice).toContain("Pass { retainGraph: true } to the first backward() to keep them.");

    const w = tg.tensor([1, 2, 3], { requiresGrad: true });
    const c = tg.tensor([1, 1, 1]);
    const out = w.mul(c).sum();
    c.add_(1);
    const inPlace = errorOf(() => out.backward()).message;
    const [first, second] = [
      "backward: a tensor of shape [3] saved by mul for its gradient was modified in place",
      "(version 0 at save, now 1); clone it before modifying.",
    ];
    expect(inPlace).toBe(`${first} ${second}`);
    shows(g, `// ${first}\n  // ${second}`);
  });

  it("the Mermaid block is toMermaid's real output", () => {
    const x = tg.tensor([1, 2], { requiresGrad: true });
    x.name = "x";
    const w = tg.tensor([3, 4], { requiresGrad: true });
    w.name = "w";
    shows(g, `\`\`\`mermaid\n${tg.toMermaid(x.mul(w).add(1).tanh().sum())}\n\`\`\``);
  });

  it("gradcheck: passes, refuses float32, catches a kink; deep graphs don't overflow", () => {
    const x = tg.randn([3, 4], { dtype: "float64", requiresGrad: true });
    expect(tg.gradcheck((t) => t.tanh().mul(t).sum(), [x])).toBe(true);
    expect(tg.gradgradcheck((t) => t.pow(3).sum(), [x])).toBe(true);
    expect(errorOf(() => tg.gradcheck((t) => t.sum(), [tg.randn([2], { requiresGrad: true })])).message).toContain(
      "float64",
    );
    const kink = errorOf(() => tg.gradcheck((t) => t.relu().sum(), [tg.tensor([0, 1], f64g)]));
    expect(kink.name).toBe("GradcheckError");
    shows(g, "a chain of 20,000 ops");
    const leaf = tg.tensor([1], { requiresGrad: true });
    let chain = leaf;
    for (let i = 0; i < 20_000; i++) chain = chain.mul(1);
    chain.sum().backward();
    expect(arr(leaf.grad!)).toEqual([1]);
  });
});

// ---------------------------------------------------------------------------------------------------

describe("losses.md", () => {
  const g = "losses.md";

  it("the outlier table: per-element losses, means and gradients", () => {
    const rows: [string, (x: T, t: T) => T, string[], string, string[]][] = [
      ["MSE", (x, t) => tg.mseLoss(x, t, { reduction: "none" }), ["0.01", "0.25", "64"], "21.42", ["0.2", "−1", "16"]],
      ["MAE", (x, t) => tg.l1Loss(x, t, { reduction: "none" }), ["0.1", "0.5", "8"], "2.8667", ["1", "−1", "1"]],
      [
        "Huber, δ = 1",
        (x, t) => tg.huberLoss(x, t, { reduction: "none" }),
        ["0.005", "0.125", "7.5"],
        "2.5433",
        ["0.1", "−0.5", "1"],
      ],
      [
        "Smooth L1, β = 0.5",
        (x, t) => tg.smoothL1Loss(x, t, { beta: 0.5, reduction: "none" }),
        ["0.01", "0.25", "7.75"],
        "2.67",
        ["0.2", "−1", "1"],
      ],
    ];
    for (const [name, fn, losses, mean, grads] of rows) {
      const x = tg.tensor([0.1, -0.5, 8], f64g);
      const l = fn(x, tg.zeros([3], f64));
      l.sum().backward();
      arr(l).forEach((v, i) => roundsTo(v, losses[i]!));
      roundsTo(l.mean().item(), mean);
      arr(x.grad!).forEach((v, i) => roundsTo(v, grads[i]!));
      shows(g, `| ${name} | ${losses.join(" | ")} | ${mean} | ${grads.join(", ")} |`);
    }
    shows(g, "80 times");
    const x = tg.tensor([0.1, -0.5, 8], { requiresGrad: true });
    tg.mseLoss(x, tg.zeros([3]), { reduction: "sum" }).backward();
    expect(arr(x.grad!)[2]! / arr(x.grad!)[0]!).toBeCloseTo(80, 4);
    const h = tg.tensor([0.1, -0.5, 8], { requiresGrad: true });
    const perElement = tg.huberLoss(h, tg.zeros([3]), { delta: 1, reduction: "none" });
    perElement.sum().backward();
    shows(g, "≈ [ 0.005, 0.125, 7.5 ] (float32)");
    ["0.005", "0.125", "7.5"].forEach((p, i) => roundsTo(arr(perElement)[i]!, p));
    shows(g, "≈ [ 0.1, -0.5, 1 ]: the outlier's pull is capped at δ");
    ["0.1", "-0.5", "1"].forEach((p, i) => roundsTo(arr(h.grad!)[i]!, p));
  });

  it("the worked MSE gradient", () => {
    const yHat = tg.tensor([2.5, 0, 2], f64g);
    const loss = tg.mseLoss(yHat, tg.tensor([3, -0.5, 2], f64));
    loss.backward();
    quoted(g, "= 0.1667", loss.item());
    const gr = arr(yHat.grad!);
    shows(g, "= [−0.3333, 0.3333, 0]`");
    ["−0.3333", "0.3333", "0"].forEach((p, i) => roundsTo(gr[i]!, p));
  });

  it("the worked cross-entropy gradient: softmax − onehot", () => {
    const z = tg.tensor([[2, 1, 0.1]], f64g);
    const y = tg.tensor([0], { dtype: "int32" });
    const ce = tg.crossEntropy(z, y);
    ce.backward();
    const p = mat(z.softmax(1))[0]!;
    const gr = mat(z.grad!)[0]!;
    shows(g, "| softmax(z) | 0.6590 | 0.2424 | 0.0986 |");
    ["0.6590", "0.2424", "0.0986"].forEach((s, i) => roundsTo(p[i]!, s));
    shows(g, "| ∂CE/∂z | −0.3410 | 0.2424 | 0.0986 |");
    ["−0.3410", "0.2424", "0.0986"].forEach((s, i) => roundsTo(gr[i]!, s));
    gr.forEach((v, i) => expect(v).toBeCloseTo(p[i]! - (i === 0 ? 1 : 0), 15));
    quoted(g, "−ln 0.6590 = 0.4170", ce.item());
    roundsTo(-Math.log(p[0]!), "0.4170");
    expect(tg.gradcheck((t) => tg.crossEntropy(t, y), [z])).toBe(true);
    roundsTo(tg.crossEntropy(z, tg.tensor([[1, 0, 0]], f64)).item(), "0.4170");
    roundsTo(tg.nllLoss(z.logSoftmax(1), y).item(), "0.4170");

    const zb = tg.tensor(
      [
        [2, 1, 0.1],
        [0.5, 2.5, 0.3],
      ],
      f64g,
    );
    const mean = tg.crossEntropy(zb, tg.tensor([0, 1], { dtype: "int32" }));
    mean.backward();
    quoted(g, "0.3185", mean.item());
    shows(g, "`[−0.1705, 0.1212, 0.0493]`");
    ["−0.1705", "0.1212", "0.0493"].forEach((s, i) => roundsTo(mat(zb.grad!)[0]![i]!, s));
  });

  it("the binary example y = [1, 0], ŷ = [0.9, 0.1]", () => {
    const y = tg.tensor([1, 0], f64);
    const yHat = tg.tensor([0.9, 0.1], f64g);
    const loss = tg.binaryCrossEntropy(yHat, y);
    loss.backward();
    quoted(g, "`−ln 0.9 = 0.10536`", loss.item());
    quoted(g, "0.21072", tg.binaryCrossEntropy(yHat, y, { reduction: "sum" }).item());
    quoted(g, "−ln 0.9 = 0.1053605…", -Math.log(0.9));
    roundsTo(-Math.log(0.9), "0.1054");
    expect(Math.abs(loss.item() - 0.1056)).toBeGreaterThan(1e-4); // the tutorial's figure is off
    shows(g, "`[−0.5556, 0.5556]`");
    roundsTo(arr(yHat.grad!)[0]!, "−0.5556");
    roundsTo(arr(yHat.grad!)[1]!, "0.5556");
    expect(arr(yHat.grad!)[0]).toBeCloseTo((0.9 - 1) / (0.1 * 0.9 * 2), 12);

    const z = tg.tensor([Math.log(9), -Math.log(9)], f64g);
    roundsTo(arr(z.sigmoid())[0]!, "0.9");
    const fromLogits = tg.binaryCrossEntropyWithLogits(z, y);
    fromLogits.backward();
    roundsTo(fromLogits.item(), "0.10536");
    shows(g, "`[−0.05, 0.05]`");
    roundsTo(arr(z.grad!)[0]!, "−0.05");
    roundsTo(arr(z.grad!)[1]!, "0.05");
    expect(tg.gradcheck((p) => tg.binaryCrossEntropy(p, y), [yHat])).toBe(true);
    expect(tg.gradcheck((t) => tg.binaryCrossEntropyWithLogits(t, y), [z])).toBe(true);
  });

  it("KL divergence: mean vs batchmean", () => {
    const logQ = tg
      .tensor(
        [
          [0.5, 0.25, 0.25],
          [0.1, 0.6, 0.3],
        ],
        f64,
      )
      .log();
    const t = tg.tensor(
      [
        [0.4, 0.4, 0.2],
        [0.2, 0.5, 0.3],
      ],
      f64,
    );
    const per = arr(tg.klDiv(logQ, t, { reduction: "none" }).sum(1));
    shows(g, "`[0.0541, 0.0475]`");
    roundsTo(per[0]!, "0.0541");
    roundsTo(per[1]!, "0.0475");
    quoted(g, '| `"batchmean"` | 0.0508 |', tg.klDiv(logQ, t, { reduction: "batchmean" }).item());
    shows(g, "| 0.0169 |");
    roundsTo(tg.klDiv(logQ, t).item(), "0.0169");
    shows(g, '| `"sum"` | 0.1016 |');
    roundsTo(tg.klDiv(logQ, t, { reduction: "sum" }).item(), "0.1016");
  });

  it("the language-model reshape, padding and label smoothing", () => {
    tg.manualSeed(0);
    const [B, T_, V] = [2, 4, 5];
    const PAD = 0;
    const logits = tg.randn([B, T_, V], { requiresGrad: true });
    const targets = tg.tensor(
      [
        [3, 1, 4, 2],
        [2, 4, PAD, PAD],
      ],
      { dtype: "int32" },
    );
    const loss = tg.crossEntropy(logits.reshape(B * T_, V), targets.reshape(B * T_), { ignoreIndex: PAD });
    loss.backward();
    quoted(g, "1.9153", loss.item());
    roundsTo(tg.crossEntropy(logits.permute(0, 2, 1), targets, { ignoreIndex: PAD }).item(), "1.9153");
    const per = arr(
      tg.crossEntropy(logits.reshape(B * T_, V), targets.reshape(B * T_), { ignoreIndex: PAD, reduction: "none" }),
    );
    expect(per.slice(6)).toEqual([0, 0]);
    expect(per.reduce((s, v) => s + v, 0) / 6).toBeCloseTo(loss.item(), 6);
    expect(arr(logits.grad!.narrow(0, 1, 1).narrow(1, 2, 2).abs().sum(-1).reshape(-1))).toEqual([0, 0]);
    const allIgnored = tg.randn([2, 3], { requiresGrad: true });
    const zero = tg.crossEntropy(allIgnored, tg.tensor([-100, -100], { dtype: "int32" }));
    zero.backward();
    expect([zero.item(), arr(allIgnored.grad!.abs().sum(1))]).toEqual([0, [0, 0]]);

    const z = tg.tensor([[2, 1, 0.1]], f64);
    const smoothed = tg.crossEntropy(z, tg.tensor([0], { dtype: "int32" }), { labelSmoothing: 0.1 }).item();
    quoted(g, "the loss is 0.5137, up from 0.4170", smoothed, "0.5137");
  });

  it("numerical stability: log-sum-exp vs naive vs the ε patch (float32)", () => {
    const y = tg.tensor([1], { dtype: "int32" });
    const naive = (z: T) => -mat(z.softmax(-1).log())[0]![1]!;
    const patched = (z: T) => -mat(z.softmax(-1).add(1e-7).log())[0]![1]!;
    const rows: [number[], string, string][] = [
      [[0, -90], "90", "90"],
      [[0, -100], "100", "99.983"],
      [[0, -104], "104", "Infinity"],
      [[1e4, -1e4, 0], "20000", "Infinity"],
    ];
    for (const [logits, ce, nv] of rows) {
      const z = tg.tensor([logits]);
      roundsTo(tg.crossEntropy(z, y).item(), ce);
      roundsTo(naive(z), nv);
      roundsTo(patched(z), "16.118");
      const shown = logits.length === 2 ? `[0, −${-logits[1]!}]` : "[1e4, −1e4, 0]";
      shows(g, `| \`${shown}\` | ${ce} | ${nv} | 16.118 |`);
    }
    roundsTo(-Math.log(1e-7), "16.118");
    expect(arr(tg.tensor([-104]).exp())).toEqual([0]);
    shows(g, "(99.983 instead of 100)");
    shows(g, "(Infinity from a gap of 104)");
    shows(g, "(16.118 for");

    const z = tg.tensor([[1e4, -1e4, 0]], { requiresGrad: true });
    tg.crossEntropy(z, y).backward();
    expect(arr(z.grad!.reshape(-1))).toEqual([1, -1, 0]);
    shows(g, "| `crossEntropy` | `[1, −1, 0]`");
    const zn = tg.tensor([[1e4, -1e4, 0]], { requiresGrad: true });
    zn.softmax(-1).log().narrow(1, 1, 1).neg().sum().backward();
    expect(arr(zn.grad!.reshape(-1)).every(Number.isNaN)).toBe(true);
    const ze = tg.tensor([[1e4, -1e4, 0]], { requiresGrad: true });
    ze.softmax(-1).add(1e-7).log().narrow(1, 1, 1).neg().sum().backward();
    expect(arr(ze.grad!.reshape(-1).abs())).toEqual([0, 0, 0]);
    logged(
      g,
      tg
        .tensor([[1e4, -1e4, 0]])
        .softmax(-1)
        .log()
        .toArray(),
    );
  });

  it("BCE: the clamp at −100, the naive NaN, and the logits form", () => {
    quoted(g, "costs 100 instead of", tg.binaryCrossEntropy(tg.tensor([0]), tg.tensor([1])).item());
    const p = tg.tensor([0]);
    const yy = tg.tensor([0]);
    const byHand = yy
      .mul(p.log())
      .add(yy.neg().add(1).mul(p.neg().add(1).log()))
      .neg();
    expect(Number.isNaN(byHand.item())).toBe(true);
    expect(arr(tg.tensor([20]).sigmoid())).toEqual([1]);
    shows(g, "| z = 20, y = 0 (float32 σ(20) rounds to 1) | 100 (clamped; the true value is 20) | 20 |");
    roundsTo(tg.binaryCrossEntropy(tg.tensor([20]).sigmoid(), tg.tensor([0])).item(), "100");
    roundsTo(tg.binaryCrossEntropyWithLogits(tg.tensor([20]), tg.tensor([0])).item(), "20");
    roundsTo(tg.binaryCrossEntropyWithLogits(tg.tensor([20], f64), tg.tensor([0], f64)).item(), "20.000000002");
    shows(g, "| z = −1e4, y = 1 | 100 (clamped) | 10000 |");
    roundsTo(tg.binaryCrossEntropy(tg.tensor([-1e4]).sigmoid(), tg.tensor([1])).item(), "100");
    roundsTo(tg.binaryCrossEntropyWithLogits(tg.tensor([-1e4]), tg.tensor([1])).item(), "10000");
  });

  it("input standardisation", () => {
    tg.manualSeed(3);
    const n = 128;
    const rooms = tg.randn([n, 1]).add(3);
    const area = tg.randn([n, 1]).mul(30).add(120);
    const X = tg.cat([rooms, area], 1);
    const y = rooms
      .mul(0.5)
      .add(area.mul(0.02))
      .add(1)
      .add(tg.randn([n, 1]).mul(0.1));
    const fit = (Xin: T, lr: number) => {
      tg.manualSeed(0);
      const model = new tg.Linear(2, 1);
      const opt = new tg.SGD(model.parameters(), { lr });
      for (let s = 0; s < 200; s++) {
        const l = tg.mseLoss(model.forward(Xin), y);
        opt.zeroGrad();
        l.backward();
        opt.step();
      }
      return tg.noGrad(() => tg.mseLoss(model.forward(Xin), y).item());
    };
    const mean = X.mean(0, true);
    const std = X.var(0, { keepdim: true }).sqrt();
    roundsTo(mat(mean)[0]![0]!, "3");
    roundsTo(mat(std)[0]![0]!, "1");
    roundsTo(mat(mean)[0]![1]!, "122");
    roundsTo(mat(std)[0]![1]!, "30");
    shows(g, "rooms ~ 3 ± 1, area ~ 122 ± 30 m²");
    expect(Number.isNaN(fit(X, 1e-4))).toBe(true);
    shows(g, "| raw | 1e-4 | NaN (diverged) |");
    quoted(g, "| raw | 3e-5 (stable, unlike 1e-4) | 0.1391 |", fit(X, 3e-5));
    quoted(g, "| standardised | 0.1 | 0.0073 |", fit(X.sub(mean).div(std), 0.1));
  });
});

// ---------------------------------------------------------------------------------------------------

describe("custom-losses.md", () => {
  const g = "custom-losses.md";
  const { nd } = tg;

  function focal(logits: T, targets: T, gamma = 2, alpha = 0.25): T {
    const logP = logits.neg().softplus().neg();
    const logNotP = logits.softplus().neg();
    const logPt = targets.mul(logP).add(targets.neg().add(1).mul(logNotP));
    const pt = logPt.exp();
    const alphaT = targets.mul(alpha).add(
      targets
        .neg()
        .add(1)
        .mul(1 - alpha),
    );
    return alphaT.mul(pt.neg().add(1).pow(gamma)).mul(logPt).neg();
  }

  it("focal loss vs BCE on an easy and a hard positive", () => {
    const z = tg.tensor([Math.log(9), -Math.log(9)], f64);
    const ones = tg.tensor([1, 1], f64);
    const fl = arr(focal(z, ones));
    const bce = arr(tg.binaryCrossEntropyWithLogits(z, ones, { reduction: "none" }));
    shows(g, "| easy | 0.9 | 0.10536 | 0.000263 | 400× smaller |");
    roundsTo(bce[0]!, "0.10536");
    roundsTo(fl[0]!, "0.000263");
    roundsTo(bce[0]! / fl[0]!, "400");
    shows(g, "| hard | 0.1 | 2.3026 | 0.4663 | 4.9× smaller |");
    roundsTo(bce[1]!, "2.3026");
    roundsTo(fl[1]!, "0.4663");
    roundsTo(bce[1]! / fl[1]!, "4.9");
    const zg = tg.randn([6], { dtype: "float64", requiresGrad: true, rng: new tg.Rng(1) });
    const t = tg.tensor([1, 0, 1, 0, 0, 1], f64);
    expect(tg.gradcheck((x) => focal(x, t).mean(), [zg])).toBe(true);
    expect(tg.gradgradcheck((x) => focal(x, t).mean(), [zg])).toBe(true);
  });

  it("log-cosh via defineOp: values, gradients, checks, no overflow", () => {
    const logCosh = tg.defineOp({
      name: "logCosh",
      forward(ctx, r) {
        ctx.saveForBackward(r);
        const a = nd.abs(r);
        return nd.sub(nd.add(a, nd.log1p(nd.exp(nd.mul(a, -2)))), Math.LN2);
      },
      backward(ctx, gradOut) {
        const [r] = ctx.saved;
        return [gradOut.mul(r!.tanh())];
      },
    });
    const r = tg.tensor([0.1, -0.5, 8], f64g);
    const per = logCosh(r);
    per.sum().backward();
    shows(g, "0.00499, 0.12011 and 7.30685");
    ["0.00499", "0.12011", "7.30685"].forEach((p, i) => roundsTo(arr(per)[i]!, p));
    arr(per).forEach((v, i) => expect(v).toBeCloseTo(Math.log(Math.cosh([0.1, -0.5, 8][i]!)), 12));
    shows(g, "0.09967, −0.46212 and 1.00000");
    ["0.09967", "−0.46212", "1.00000"].forEach((p, i) => roundsTo(arr(r.grad!)[i]!, p));
    expect(tg.gradcheck(logCosh, [r])).toBe(true);
    expect(tg.gradgradcheck(logCosh, [r])).toBe(true);
    quoted(g, "999.3068", logCosh(tg.tensor([1000])).item());
    expect(Math.cosh(1000)).toBe(Number.POSITIVE_INFINITY);
  });

  it("the where and sqrt pitfalls", () => {
    const x = tg.tensor([0, 1], { requiresGrad: true });
    const pos = x.gt(0);
    tg.where(pos, x.log(), 0).sum().backward();
    expect(Number.isNaN(arr(x.grad!)[0]!)).toBe(true);
    shows(g, "[ NaN, 1 ]");
    const x2 = tg.tensor([0, 1], { requiresGrad: true });
    tg.where(pos, tg.where(pos, x2, 1).log(), 0)
      .sum()
      .backward();
    logged(g, arr(x2.grad!));
    const x3 = tg.tensor([0, 0], { requiresGrad: true });
    x3.pow(2).sum().sqrt().backward();
    expect(arr(x3.grad!).every(Number.isNaN)).toBe(true);
    const s = tg.tensor([0, -2], { requiresGrad: true });
    s.abs().sum().backward();
    expect(arr(s.grad!)[0]).toBe(0);
    const rl = tg.tensor([0], { requiresGrad: true });
    rl.relu().sum().backward();
    expect(arr(rl.grad!)).toEqual([0]);
    const m = tg.tensor([1], { requiresGrad: true });
    m.maximum(tg.tensor([1]))
      .sum()
      .backward();
    expect(arr(m.grad!)).toEqual([0.5]);
  });
});

// ---------------------------------------------------------------------------------------------------

describe("optimizers.md", () => {
  const g = "optimizers.md";

  it("batch GD vs mini-batch vs SGD: only batchSize differs", () => {
    tg.manualSeed(1);
    const X = tg.randn([64, 3]);
    const Y = X.matmul(tg.tensor([[2], [-1], [0.5]])).add(0.3);
    const rows: [number, string, string][] = [
      [64, "20", "0.0481"],
      [16, "80", "6.8e-7"],
      [1, "1280", "1.5e-15"],
    ];
    for (const [batchSize, updatesPrinted, msePrinted] of rows) {
      tg.manualSeed(0);
      const model = new tg.Linear(3, 1);
      const opt = new tg.SGD(model.parameters(), { lr: 0.05 });
      const loader = new tg.DataLoader(new tg.TensorDataset(X, Y), { batchSize, shuffle: true, seed: 0 });
      let updates = 0;
      for (let epoch = 0; epoch < 20; epoch++) {
        for (const [xb, yb] of loader) {
          opt.zeroGrad();
          tg.mseLoss(model.forward(xb!), yb!).backward();
          opt.step();
          updates++;
        }
      }
      expect(loader.length).toBe(64 / batchSize);
      roundsTo(updates, updatesPrinted);
      roundsTo(
        tg.noGrad(() => tg.mseLoss(model.forward(X), Y).item()),
        msePrinted,
      );
      shows(g, `| ${updatesPrinted} | ${msePrinted} |`);
      shows(g, `| ${64 / batchSize} |`);
    }
  });

  it("Adam's scale-free first step, and L2 vs decoupled weight decay", () => {
    const p = new tg.Parameter(tg.tensor([1, 1], f64));
    const opt = new tg.Adam([p], { lr: 0.1 });
    p.grad = tg.tensor([0.001, 1000], f64);
    opt.step();
    shows(g, "both move from 1 to 0.9000");
    arr(p).forEach((v) => roundsTo(v, "0.9000"));
    const q = new tg.Parameter(tg.tensor([1], f64));
    const adam = new tg.Adam([q], { lr: 0.1, weightDecay: 0.1 });
    q.grad = tg.tensor([0], f64);
    adam.step();
    quoted(g, "| 0.9000 |", arr(q)[0]!);
    const r = new tg.Parameter(tg.tensor([1], f64));
    const adamw = new tg.AdamW([r], { lr: 0.1, weightDecay: 0.1 });
    r.grad = tg.tensor([0], f64);
    adamw.step();
    quoted(g, "| 0.9900 |", arr(r)[0]!);
  });

  it("parameter groups", () => {
    const model = new tg.Sequential(new tg.Linear(4, 8), new tg.LayerNorm(8), new tg.Linear(8, 2));
    const opt = new tg.AdamW(
      [
        { params: model.parameters().filter((p) => p.ndim >= 2), weightDecay: 0.1 },
        { params: model.parameters().filter((p) => p.ndim < 2), weightDecay: 0 },
      ],
      { lr: 3e-4 },
    );
    logged(
      g,
      opt.paramGroups.map((gr) => [gr.params.length, gr.weightDecay]),
    );
  });

  it("the ill-conditioned quadratic table", () => {
    const H = tg.tensor([1, 50], f64);
    const steps = (make: (p: tg.Parameter[]) => tg.Optimizer, max = 2000) => {
      const w = new tg.Parameter(tg.tensor([1, 1], f64));
      const opt = make([w]);
      for (let s = 0; s < max; s++) {
        const loss = w.mul(w).mul(H).sum().mul(0.5);
        if (loss.item() < 1e-3) return s;
        if (!Number.isFinite(loss.item()) || loss.item() > 1e6) return -1;
        opt.zeroGrad();
        loss.backward();
        opt.step();
      }
      return -1;
    };
    const rows: [string, string, (p: tg.Parameter[]) => tg.Optimizer, number][] = [
      ["SGD", "lr 0.02", (p) => new tg.SGD(p, { lr: 0.02 }), 154],
      ["SGD", "lr 0.039 (just below the stability limit)", (p) => new tg.SGD(p, { lr: 0.039 }), 101],
      ["SGD + momentum", "lr 0.02, momentum 0.9", (p) => new tg.SGD(p, { lr: 0.02, momentum: 0.9 }), 36],
      [
        "SGD + Nesterov",
        "lr 0.02, momentum 0.9, nesterov",
        (p) => new tg.SGD(p, { lr: 0.02, momentum: 0.9, nesterov: true }),
        14,
      ],
      ["RMSprop", "lr 0.01", (p) => new tg.RMSprop(p, { lr: 0.01 }), 112],
      ["Adam", "lr 0.05", (p) => new tg.Adam(p, { lr: 0.05 }), 24],
    ];
    for (const [name, settings, make, want] of rows) {
      expect(steps(make), `${name} ${settings}`).toBe(want);
      shows(g, `| ${name} | ${settings} | ${want} |`);
    }
    // "unstable above lr = 2/50 = 0.04"
    expect(steps((p) => new tg.SGD(p, { lr: 0.041 }))).toBe(-1);
  });

  it("the XOR MLP table", () => {
    const steps = (make: (p: tg.Parameter[]) => tg.Optimizer, max = 1000) => {
      tg.manualSeed(0);
      const model = new tg.Sequential(new tg.Linear(2, 8), new tg.Tanh(), new tg.Linear(8, 1));
      const x = tg.tensor([
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
      ]);
      const y = tg.tensor([[0], [1], [1], [0]]);
      const opt = make(model.parameters());
      for (let s = 0; s < max; s++) {
        const loss = tg.mseLoss(model.forward(x) as T, y);
        if (loss.item() < 1e-3) return s;
        opt.zeroGrad();
        loss.backward();
        opt.step();
      }
      return -1;
    };
    const rows: [string, string, (p: tg.Parameter[]) => tg.Optimizer, number][] = [
      ["SGD", "lr 0.1", (p) => new tg.SGD(p, { lr: 0.1 }), 290],
      ["SGD + momentum", "lr 0.1, momentum 0.9", (p) => new tg.SGD(p, { lr: 0.1, momentum: 0.9 }), 46],
      [
        "SGD + Nesterov",
        "lr 0.1, momentum 0.9, nesterov",
        (p) => new tg.SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true }),
        39,
      ],
      ["RMSprop", "lr 0.01", (p) => new tg.RMSprop(p, { lr: 0.01 }), 54],
      ["Adam", "lr 0.01", (p) => new tg.Adam(p, { lr: 0.01 }), 159],
      ["Adam", "lr 0.05", (p) => new tg.Adam(p, { lr: 0.05 }), 56],
      ["AdamW", "lr 0.05, weightDecay 0.01", (p) => new tg.AdamW(p, { lr: 0.05, weightDecay: 0.01 }), 57],
    ];
    for (const [name, settings, make, want] of rows) {
      expect(steps(make), `${name} ${settings}`).toBe(want);
      shows(g, `| ${name} | ${settings} | ${want} |`);
    }
  });

  it("the learning-rate schedule sequences", () => {
    const run = (make: (opt: tg.Optimizer) => tg.LRScheduler, lr: number, n: number) => {
      const opt = new tg.SGD([new tg.Parameter(tg.zeros(1))], { lr });
      const sched = make(opt);
      const out = [sched.getLastLr()[0]!];
      for (let i = 0; i < n; i++) {
        opt.step();
        sched.step();
        out.push(sched.getLastLr()[0]!);
      }
      return out;
    };
    const check = (values: number[], printed: string) => {
      shows(g, printed);
      const parts = printed.split(", ").filter((p) => p !== "…");
      parts.forEach((p, i) => roundsTo(values[i]!, p));
    };
    check(
      run((o) => new tg.StepLR(o, { stepSize: 3, gamma: 0.5 }), 0.1, 6),
      "0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, …",
    );
    check(
      run((o) => new tg.CosineAnnealingLR(o, { tMax: 4 }), 0.1, 4),
      "0.1, 0.0854, 0.05, 0.0146, 0",
    );
    check(
      run((o) => new tg.LinearLR(o, { startFactor: 0.25, totalIters: 3 }), 0.1, 4),
      "0.025, 0.05, 0.075, 0.1, 0.1, …",
    );
    check(
      run((o) => tg.warmupCosine(o, { warmupSteps: 4, totalSteps: 12 }), 1e-3, 12),
      "2e-4, 4e-4, 6e-4, 8e-4, 1e-3, 9.619e-4, 8.536e-4, 6.913e-4, 5e-4, 3.087e-4, 1.464e-4, 3.806e-5, 0",
    );
  });

  it("gradient clipping", () => {
    const a = new tg.Parameter(tg.zeros(2));
    const b = new tg.Parameter(tg.zeros(1));
    a.grad = tg.tensor([3, 0]);
    b.grad = tg.tensor([4]);
    const norm = tg.clipGradNorm([a, b], 1);
    quoted(g, "// 5 = √(3² + 4²)", norm, "5");
    expect(norm).toBe(5);
    roundsTo(arr(a.grad)[0]!, "0.6");
    roundsTo(arr(b.grad)[0]!, "0.8");
    expect(arr(a.grad)[0]).toBeCloseTo(3 / (5 + 1e-6), 6);
  });

  it("Transformer sizes and activations", () => {
    tg.manualSeed(0);
    const count = (d: number, h: number, o: tg.TransformerBlockOptions = {}) =>
      new tg.TransformerBlock(d, h, o).numParameters();
    expect(count(64, 4)).toBe(count(64, 8));
    expect(count(64, 4, { activation: "relu" })).toBe(count(64, 4));
    quoted(g, "both have 49984 parameters", count(64, 4));
    quoted(g, "`TransformerBlock(128, 4)`: 198272", count(128, 4));
    quoted(g, "gives 33472 parameters", count(64, 4, { dFF: 128 }));
    const gelu = arr(tg.tensor([-1, 1], f64).gelu());
    quoted(g, "GELU(−1) = −0.1587", gelu[0]!);
    quoted(g, "GELU(1) = 0.8413", gelu[1]!);
    const main = readFileSync(`${docsDir}/../examples/char-transformer/main.ts`, "utf8");
    for (const flag of ["layers", "heads", "dModel", "blockSize", "steps", "lr", "warmup", "batchSize", "save"]) {
      shows(g, `--${flag}`);
      expect(main).toContain(`  ${flag}: {`);
    }
  });
});

// ---------------------------------------------------------------------------------------------------

describe("saving-loading.md", () => {
  const g = "saving-loading.md";

  it("state dict names and the strict errors", () => {
    const model = new tg.Sequential(new tg.Linear(2, 4), new tg.Tanh(), new tg.Linear(4, 1));
    const sd = model.stateDict();
    logged(
      g,
      Object.entries(sd).map(([name, a]) => `${name} ${JSON.stringify(a.shape)} ${a.dtype}`),
    );
    const other = new tg.Sequential(new tg.Linear(2, 4), new tg.Tanh(), new tg.Linear(4, 2));
    const size = errorOf(() => other.loadStateDict(sd));
    expect(size.name).toBe("ShapeError");
    shows(g, size.message);
    const { "2.bias": _dropped, ...partial } = sd;
    const keys = errorOf(() => model.loadStateDict({ ...partial, "head.weight": tg.nd.zeros([1, 4]) }));
    expect(keys.name).toBe("StateDictError");
    shows(g, keys.message);
    logged(g, model.loadStateDict({ ...partial, "head.weight": tg.nd.zeros([1, 4]) }, { strict: false }));
  });

  it("the safetensors bytes it shows", () => {
    const bytes = tg.serializeSafetensors(
      {
        "fc.weight": tg.tensor([
          [1, 2],
          [3, 4],
        ]),
        "fc.bias": tg.tensor([0.5, -0.5]),
      },
      { format: "pt" },
    );
    const n = new DataView(bytes.buffer).getUint32(0, true);
    quoted(g, "The file is 192 bytes", bytes.length);
    expect(n).toBe(160);
    shows(g, "the 8-byte length (160), then this 160-byte header, then 24 bytes");
    logged(g, Array.from(bytes.subarray(0, 8)));
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    shows(g, `\`\`\`json\n${header.trimEnd()}\n\`\`\``);
    logged(g, Array.from(bytes.subarray(8 + n, 8 + n + 8)));
    expect(new Float32Array(bytes.slice(8 + n, 8 + n + 8).buffer)).toEqual(new Float32Array([0.5, -0.5]));
    expect(bytes.length - 8 - n).toBe(24);
  });
});
