// typegrad's main job: a short run of every example, then one summary table.
//   pnpm demo            (full flags of each example: pnpm --filter <name> start -- --help)

import "typegrad/node"; // multi-threaded matmul on Node
import { runCharTransformer } from "@typegrad/example-char-transformer/run";
import { runClassification } from "@typegrad/example-classification/run";
import { runCustomLoss } from "@typegrad/example-custom-loss/run";
import { runRegression } from "@typegrad/example-regression/run";
import { formatTable } from "@typegrad/examples-shared";

const out = process.env.TYPEGRAD_OUT ?? "out";
const rows: (string | number)[][] = [];

async function timed<T>(title: string, fn: () => Promise<T>): Promise<[T, number]> {
  console.log(`\n=== ${title} ===`);
  const start = performance.now();
  const value = await fn();
  return [value, (performance.now() - start) / 1000];
}

const [reg, tReg] = await timed("regression: MSE vs MAE vs Huber with outliers", () =>
  runRegression({ epochs: 250, seed: 0, lr: 0.02, outliers: 0.15, out }),
);
for (const r of reg)
  rows.push([
    `regression (${r.loss})`,
    `clean test MSE ${r.testMse.toFixed(4)}, |w−w*| ${r.weightError.toFixed(3)}`,
    r === reg[0] ? `${tReg.toFixed(1)} s` : "",
  ]);

const [cls, tCls] = await timed("classification: two moons and three spirals", () =>
  runClassification({ epochs: 60, seed: 0, lr: 0.01, batchSize: 32, out }),
);
for (const r of cls)
  rows.push([
    `${r.task} (${r.loss})`,
    `train accuracy ${(r.accuracy * 100).toFixed(1)}%`,
    r === cls[0] ? `${tCls.toFixed(1)} s` : "",
  ]);

const [cus, tCus] = await timed("custom losses: focal (composed) and log-cosh (defineOp)", () =>
  runCustomLoss({ epochs: 200, seed: 0, lr: 0.03, out }),
);
rows.push([
  "custom losses",
  `gradcheck ${cus.gradcheckFocal && cus.gradcheckLogCosh ? "passed" : "FAILED"}, rare-class recall focal ${(cus.focalRecall * 100).toFixed(0)}% vs BCE ${(cus.bceRecall * 100).toFixed(0)}%`,
  `${tCus.toFixed(1)} s`,
]);

const [gpt, tGpt] = await timed("char-transformer: tiny GPT on Shakespeare", () =>
  runCharTransformer({
    steps: 300,
    seed: 0,
    lr: 3e-3,
    batchSize: 16,
    blockSize: 32,
    dModel: 64,
    heads: 4,
    layers: 2,
    warmup: 30,
    sample: 120,
    out,
    save: `${out}/tiny-gpt.safetensors`,
  }),
);
rows.push([
  "char-transformer",
  `loss ${gpt.firstLoss.toFixed(3)} → ${gpt.finalLoss.toFixed(3)} (uniform ${gpt.uniformLoss.toFixed(3)}), ${gpt.stepsPerSecond.toFixed(1)} steps/s`,
  `${tGpt.toFixed(1)} s`,
]);

console.log(`\n=== summary ===\n${formatTable(["example", "result", "wall time"], rows)}`);
console.log(`\nPlots (SVG) are under ${out}/.`);
