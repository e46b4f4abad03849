import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tg from "typegrad";
import { describe, expect, it } from "vitest";
import { focalLoss, logCoshLoss } from "../src/losses.js";
import { runCustomLoss } from "../src/run.js";

describe("custom losses", () => {
  it("focal loss with gamma 0 and alpha 0.5 is half of BCE-with-logits", () => {
    const z = tg.tensor([[2.5], [-1], [0.3], [-4]], { dtype: "float64" });
    const y = tg.tensor([[1], [0], [0], [1]], { dtype: "float64" });
    const fl = focalLoss(z, y, { gamma: 0, alpha: 0.5 }).item();
    const bce = tg.binaryCrossEntropyWithLogits(z, y).item();
    expect(fl).toBeCloseTo(0.5 * bce, 12);
  });

  it("log-cosh matches log(cosh(d)) and stays finite for huge errors", () => {
    const p = tg.tensor([0.5, -2, 1000], { dtype: "float64" });
    const q = tg.zeros(3, { dtype: "float64" });
    const expected = (Math.log(Math.cosh(0.5)) + Math.log(Math.cosh(-2)) + (1000 - Math.LN2)) / 3;
    expect(logCoshLoss(p, q).item()).toBeCloseTo(expected, 10);
  });

  it("trains: both gradchecks pass, focal loss finds more of the rare class than BCE", async () => {
    const out = mkdtempSync(join(tmpdir(), "tg-custom-"));
    const r = await runCustomLoss({ epochs: 150, seed: 0, lr: 0.03, out, quiet: true });
    expect(r.gradcheckFocal).toBe(true);
    expect(r.gradcheckLogCosh).toBe(true);
    expect(r.focalRecall).toBeGreaterThanOrEqual(r.bceRecall);
    expect(r.focalRecall).toBeGreaterThan(0.8);
    expect(r.logCoshTestMae).toBeLessThan(0.3);
  });
});
