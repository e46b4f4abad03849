// Two moons and three spirals: binary and multi-class classification with decision boundaries as SVG.
//   pnpm --filter @typegrad/example-classification start -- --epochs 100
import "typegrad/node"; // multi-threaded matmul on Node
import { parseFlags } from "@typegrad/examples-shared";
import { runClassification } from "./src/run.js";

const flags = parseFlags("classification", "two moons (BCE / CE) and three spirals (CE) with decision boundaries", {
  epochs: { type: "number", default: 150, help: "training epochs per task" },
  seed: { type: "number", default: 0, help: "random seed" },
  lr: { type: "number", default: 0.01, help: "Adam learning rate" },
  batchSize: {
    type: "number",
    default: 32,
    help: "mini-batch size (use the dataset size for full-batch gradient descent, 1 for SGD)",
  },
  out: { type: "string", default: "out", help: "folder for SVG plots" },
});
await runClassification(flags);
