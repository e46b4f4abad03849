// Toy regression with outliers: the same MLP trained with MSE, MAE and Huber loss.
//   pnpm --filter @typegrad/example-regression start -- --epochs 300
import "typegrad/node"; // multi-threaded matmul on Node
import { parseFlags } from "@typegrad/examples-shared";
import { runRegression } from "./src/run.js";

const flags = parseFlags("regression", "MSE vs MAE vs Huber on noisy data with outliers", {
  epochs: { type: "number", default: 400, help: "full-batch training epochs per loss" },
  seed: { type: "number", default: 0, help: "random seed (data and initial weights)" },
  lr: { type: "number", default: 0.01, help: "Adam learning rate" },
  outliers: { type: "number", default: 0.15, help: "fraction of training targets turned into outliers" },
  out: { type: "string", default: "out", help: "folder for SVG plots" },
});
await runRegression(flags);
