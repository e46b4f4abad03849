import {
  decisionBoundarySvg,
  formatTable,
  lineChartSvg,
  progress,
  terminalChart,
  writeSvg,
} from "@typegrad/examples-shared";
import * as tg from "typegrad";
import { type Points, spirals, twoMoons } from "./data.js";

export interface ClassificationOptions {
  epochs: number;
  seed: number;
  lr: number;
  batchSize: number;
  out: string;
  quiet?: boolean;
}

export interface TaskResult {
  task: string;
  loss: string;
  accuracy: number;
  finalLoss: number;
}

type Head = "bce" | "ce";

function mlp(classes: number, hidden: number): tg.Sequential {
  return new tg.Sequential(
    new tg.Linear(2, hidden),
    new tg.ReLU(),
    new tg.Linear(hidden, hidden),
    new tg.ReLU(),
    new tg.Linear(hidden, classes),
  );
}

/** Predicted class per row: sign of the logit for BCE, argmax for cross-entropy. */
function predict(model: tg.Sequential, x: tg.Tensor, head: Head): number[] {
  const logits = tg.noGrad(() => model.forward(x));
  if (head === "bce") return (logits.gt(0).toArray() as boolean[][]).map((r) => (r[0] ? 1 : 0));
  return logits.argmax(1).toArray() as number[];
}

function train(task: string, data: Points, classes: number, head: Head, opts: ClassificationOptions) {
  tg.manualSeed(opts.seed);
  const model = mlp(head === "bce" ? 1 : classes, 64);
  const X = tg.tensor(data.x);
  const targets = head === "bce" ? tg.tensor(data.y.map((v) => [v])) : tg.tensor(data.y, { dtype: "int32" });
  const loader = new tg.DataLoader(new tg.TensorDataset(X, targets), {
    batchSize: opts.batchSize,
    shuffle: true,
    seed: opts.seed,
  });
  const opt = new tg.Adam(model.parameters(), { lr: opts.lr });
  const history: number[] = [];
  const label = head === "bce" ? "BCE-with-logits" : "cross-entropy";
  const bar = progress(`${task} ${label}`.padEnd(28), opts.epochs, { quiet: opts.quiet ?? false });
  for (let epoch = 1; epoch <= opts.epochs; epoch++) {
    let total = 0;
    let count = 0;
    for (const [xb, yb] of loader) {
      const logits = model.forward(xb!);
      const loss = head === "bce" ? tg.binaryCrossEntropyWithLogits(logits, yb!) : tg.crossEntropy(logits, yb!);
      opt.zeroGrad();
      loss.backward();
      opt.step();
      total += loss.item() * xb!.shape[0]!;
      count += xb!.shape[0]!;
    }
    history.push(total / count);
    bar.update(epoch, { loss: total / count });
  }
  bar.stop();
  const pred = predict(model, X, head);
  const accuracy = pred.filter((p, i) => p === data.y[i]).length / data.y.length;
  const svg = decisionBoundarySvg(
    `${task} — ${label}, train accuracy ${(accuracy * 100).toFixed(1)}%`,
    data.x.map((p, i) => ({ x: p[0]!, y: p[1]!, label: data.y[i]! })),
    (xs, ys) => predict(model, tg.tensor(xs.map((v, i) => [v, ys[i]!])), head),
  );
  writeSvg(`${opts.out}/${task.replace(/\s+/g, "-")}-${head}-boundary.svg`, svg);
  return { result: { task, loss: label, accuracy, finalLoss: history[history.length - 1]! }, history };
}

/** Two moons with BCE-with-logits and with 2-class cross-entropy, then three spirals with cross-entropy. */
export async function runClassification(opts: ClassificationOptions): Promise<TaskResult[]> {
  const rng = new tg.Rng(opts.seed);
  const moons = twoMoons(300, 0.1, rng);
  const arms = spirals(100, 3, 0.2, rng);
  const runs = [
    train("two moons", moons, 2, "bce", opts),
    train("two moons", moons, 2, "ce", opts),
    train("three spirals", arms, 3, "ce", opts),
  ];
  const results = runs.map((r) => r.result);
  if (!opts.quiet) {
    console.log(
      `\n${formatTable(
        ["task", "loss", "train accuracy", "final loss"],
        results.map((r) => [r.task, r.loss, `${(r.accuracy * 100).toFixed(1)}%`, r.finalLoss]),
      )}`,
    );
    const curves = Object.fromEntries(runs.map((r) => [`${r.result.task} (${r.result.loss})`, r.history]));
    console.log(`\nLoss per epoch:\n${terminalChart(curves)}`);
    writeSvg(
      `${opts.out}/classification-loss.svg`,
      lineChartSvg("Classification: training loss", curves, { logY: true, xLabel: "epoch" }),
    );
    console.log(`\nWrote decision boundaries and loss curves under ${opts.out}/`);
  }
  return results;
}
