import { formatTable, lineChartSvg, progress, terminalChart, writeSvg } from "@typegrad/examples-shared";
import * as tg from "typegrad";
import { focalLoss, logCoshLoss } from "./losses.js";

export interface CustomLossOptions {
  epochs: number;
  seed: number;
  lr: number;
  out: string;
  quiet?: boolean;
}

export interface CustomLossResult {
  gradcheckFocal: boolean;
  gradcheckLogCosh: boolean;
  focalRecall: number;
  bceRecall: number;
  focalAccuracy: number;
  logCoshTestMae: number;
}

/** An imbalanced 2-d problem: 10% positives in a small disc inside the negatives. */
function imbalanced(n: number, rng: tg.Rng) {
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const pos = rng.next() < 0.1;
    const r = pos ? 0.6 * Math.sqrt(rng.next()) : 0.8 + 1.2 * rng.next();
    const t = 2 * Math.PI * rng.next();
    x.push([r * Math.cos(t) + 0.5, r * Math.sin(t) - 0.3]);
    y.push(pos ? 1 : 0);
  }
  return { X: tg.tensor(x), Y: tg.tensor(y.map((v) => [v])), y };
}

function classifier(): tg.Sequential {
  return new tg.Sequential(new tg.Linear(2, 16), new tg.Tanh(), new tg.Linear(16, 1));
}

function trainClassifier(
  name: string,
  lossFn: (l: tg.Tensor, t: tg.Tensor) => tg.Tensor,
  data: ReturnType<typeof imbalanced>,
  opts: CustomLossOptions,
  history: Record<string, number[]>,
) {
  tg.manualSeed(opts.seed);
  const model = classifier();
  const opt = new tg.Adam(model.parameters(), { lr: opts.lr });
  const bar = progress(name.padEnd(14), opts.epochs, { quiet: opts.quiet ?? false });
  const h: number[] = [];
  for (let e = 1; e <= opts.epochs; e++) {
    const loss = lossFn(model.forward(data.X), data.Y);
    opt.zeroGrad();
    loss.backward();
    opt.step();
    h.push(loss.item());
    bar.update(e, { loss: loss.item() });
  }
  bar.stop();
  history[name] = h;
  const pred = (tg.noGrad(() => model.forward(data.X).gt(0)).toArray() as boolean[][]).map((r) => (r[0] ? 1 : 0));
  const positives = data.y.filter((v) => v === 1).length;
  const recall = pred.filter((p, i) => p === 1 && data.y[i] === 1).length / positives;
  const accuracy = pred.filter((p, i) => p === data.y[i]).length / data.y.length;
  return { recall, accuracy };
}

/** Gradchecks both custom losses, then trains with each. */
export async function runCustomLoss(opts: CustomLossOptions): Promise<CustomLossResult> {
  const rng = new tg.Rng(opts.seed);
  const log = (s: string) => {
    if (!opts.quiet) console.log(s);
  };
  // 1. Verify the gradients against finite differences in float64.
  const z = tg.randn([6, 1], { dtype: "float64", requiresGrad: true, rng });
  const t = tg.tensor([[1], [0], [1], [0], [0], [1]], { dtype: "float64" });
  const gradcheckFocal = tg.gradcheck((z) => focalLoss(z, t), [z]);
  const p = tg.randn([8], { dtype: "float64", requiresGrad: true, rng });
  const q = tg.randn([8], { dtype: "float64", rng });
  const gradcheckLogCosh =
    tg.gradcheck((p) => logCoshLoss(p, q), [p]) && tg.gradgradcheck((p) => logCoshLoss(p, q), [p]);
  log(
    `gradcheck focal loss (composed): ${gradcheckFocal}   gradcheck + gradgradcheck log-cosh (defineOp): ${gradcheckLogCosh}`,
  );

  // 2. Focal loss vs BCE on an imbalanced problem.
  const data = imbalanced(400, rng);
  const history: Record<string, number[]> = {};
  const focal = trainClassifier(
    "focal loss",
    (l, y) => focalLoss(l, y, { gamma: 2, alpha: 0.75 }),
    data,
    opts,
    history,
  );
  const bce = trainClassifier("BCE", (l, y) => tg.binaryCrossEntropyWithLogits(l, y), data, opts, history);

  // 3. Log-cosh regression on data with outliers.
  const xs = Array.from({ length: 120 }, () => -2 + 4 * rng.next());
  const ys = xs.map((x, i) => 2 * x - 1 + 0.1 * rng.normal() + (i % 10 === 0 ? 8 : 0));
  tg.manualSeed(opts.seed);
  const lin = new tg.Linear(1, 1);
  const opt = new tg.Adam(lin.parameters(), { lr: 0.05 });
  const X = tg.tensor(xs.map((x) => [x]));
  const Y = tg.tensor(ys.map((y) => [y]));
  const hl: number[] = [];
  for (let e = 0; e < opts.epochs * 2; e++) {
    const loss = logCoshLoss(lin.forward(X), Y);
    opt.zeroGrad();
    loss.backward();
    opt.step();
    hl.push(loss.item());
  }
  history["log-cosh (linear fit)"] = hl;
  const clean = tg.tensor([[-1.5], [0], [1.5]]);
  const truth = tg.tensor([[-4], [-1], [2]]);
  const logCoshTestMae = tg
    .l1Loss(
      tg.noGrad(() => lin.forward(clean)),
      truth,
    )
    .item();

  log(
    `\n${formatTable(
      ["model", "metric", "value"],
      [
        ["focal loss (α 0.75, γ 2)", "recall on the 10% class", focal.recall],
        ["BCE", "recall on the 10% class", bce.recall],
        ["focal loss", "accuracy", focal.accuracy],
        ["log-cosh linear fit", "MAE vs the clean line", logCoshTestMae],
      ],
    )}`,
  );
  log(`\nLoss curves:\n${terminalChart(history)}`);
  writeSvg(
    `${opts.out}/custom-loss.svg`,
    lineChartSvg("Custom losses: training loss", history, { logY: true, xLabel: "epoch" }),
  );
  return {
    gradcheckFocal,
    gradcheckLogCosh,
    focalRecall: focal.recall,
    bceRecall: bce.recall,
    focalAccuracy: focal.accuracy,
    logCoshTestMae,
  };
}
