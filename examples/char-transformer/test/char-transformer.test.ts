import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCharTransformer } from "../src/run.js";

describe("char-transformer example (short mode)", () => {
  it("learns character statistics well below the uniform guess and round-trips its weights", async () => {
    const out = mkdtempSync(join(tmpdir(), "tg-gpt-"));
    const save = join(out, "tiny.safetensors");
    const base = {
      seed: 0,
      lr: 3e-3,
      batchSize: 8,
      blockSize: 16,
      dModel: 32,
      heads: 2,
      layers: 1,
      warmup: 10,
      out,
      quiet: true,
    };
    const r = await runCharTransformer({ ...base, steps: 120, sample: 40, save });
    expect(r.firstLoss).toBeGreaterThan(r.uniformLoss - 0.3);
    expect(r.finalLoss).toBeLessThan(r.uniformLoss - 1.0);
    expect(r.sample.startsWith("Shall I ")).toBe(true);
    expect(r.sample.length).toBe(48);
    expect(existsSync(save)).toBe(true);
    // Resuming from the saved weights starts near where training ended, not from scratch.
    const resumed = await runCharTransformer({ ...base, steps: 1, sample: 0, load: save });
    expect(resumed.firstLoss).toBeLessThan(r.uniformLoss - 0.8);
  });
});
