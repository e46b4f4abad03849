import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runRegression } from "../src/run.js";

describe("regression example (short mode)", () => {
  it("learns the curve and shows robust losses beating MSE under outliers", async () => {
    const out = mkdtempSync(join(tmpdir(), "tg-reg-"));
    const results = await runRegression({ epochs: 150, seed: 0, lr: 0.02, outliers: 0.15, out, quiet: true });
    const by = Object.fromEntries(results.map((r) => [r.loss, r]));
    for (const r of results) expect(Number.isFinite(r.finalTrainLoss)).toBe(true);
    // Robust losses fit the clean curve better than MSE when targets have outliers.
    expect(by.MAE!.testMse).toBeLessThan(by.MSE!.testMse);
    expect(by.Huber!.testMse).toBeLessThan(by.MSE!.testMse);
    // ...and recover the linear model's weights more closely.
    expect(by.Huber!.weightError).toBeLessThan(by.MSE!.weightError);
    // Learning happened: the MAE fit is close to the clean curve.
    expect(by.MAE!.testMae).toBeLessThan(0.35);
  });
});
