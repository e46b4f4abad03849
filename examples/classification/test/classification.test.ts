import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runClassification } from "../src/run.js";

describe("classification example (short mode)", () => {
  it("separates two moons and three spirals", async () => {
    const out = mkdtempSync(join(tmpdir(), "tg-cls-"));
    const results = await runClassification({ epochs: 40, seed: 0, lr: 0.01, batchSize: 32, out, quiet: true });
    const [moonsBce, moonsCe, spiralsCe] = results;
    expect(moonsBce!.accuracy).toBeGreaterThanOrEqual(0.97);
    expect(moonsCe!.accuracy).toBeGreaterThanOrEqual(0.97);
    expect(spiralsCe!.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(spiralsCe!.finalLoss).toBeLessThan(0.4);
    expect(existsSync(join(out, "three-spirals-ce-boundary.svg"))).toBe(true);
  });
});
