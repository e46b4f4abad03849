// Your own differentiable losses, two ways: composed from Tensor ops, or a defineOp with a hand-written backward.
//   pnpm --filter @typegrad/example-custom-loss start
import "typegrad/node"; // multi-threaded matmul on Node
import { parseFlags } from "@typegrad/examples-shared";
import { runCustomLoss } from "./src/run.js";

const flags = parseFlags("custom-loss", "focal loss (composed) and log-cosh (defineOp), gradchecked and trained", {
  epochs: { type: "number", default: 300, help: "full-batch epochs" },
  seed: { type: "number", default: 0, help: "random seed" },
  lr: { type: "number", default: 0.03, help: "Adam learning rate" },
  out: { type: "string", default: "out", help: "folder for SVG plots" },
});
await runCustomLoss(flags);
