import { fitPlotSvg, formatTable, lineChartSvg, progress, terminalChart, writeSvg } from "@typegrad/examples-shared";
import * as tg from "typegrad";
import { linearProblem, noisyCurve } from "./data.js";

export interface RegressionOptions {
  epochs: number;
  seed: number;
  lr: number;
  outliers: number;
  out: string;
  quiet?: boolean;
}

export interface LossResult {
  loss: string;
  finalTrainLoss: number;
  testMse: number;
  testMae: number;
  weightError: number;
}

const LOSSES: Record<string, (pred: tg.Tensor, target: tg.Tensor) => tg.Tensor> = {
  MSE: (p, t) => tg.mseLoss(p, t),
  MAE: (p, t) => tg.l1Loss(p, t),
  Huber: (p, t) => tg.huberLoss(p, t, { delta: 1 }),
};

function mlp(): tg.Sequential {
  return new tg.Sequential(
    new tg.Linear(1, 32),
    new tg.Tanh(),
    new tg.Linear(32, 32),
    new tg.Tanh(),
    new tg.Linear(32, 1),
  );
}

/**
 * Trains the same network (same initial weights) with MSE, MAE and Huber on data with outliers,
 * then does the same for a linear model on a multi-feature problem. Returns per-loss metrics.
 */
export async function runRegression(opts: RegressionOptions): Promise<LossResult[]> {
  const rng = new tg.Rng(opts.seed);
  const data = noisyCurve(160, opts.outliers, rng);
  const lin = linearProblem(200, 5, opts.outliers, rng);
  tg.manualSeed(opts.seed);
  const init = mlp().stateDict();
  const initLin = new tg.Linear(5, 1).stateDict();
  const curves: Record<string, number[]> = {};
  const fits: Record<string, { x: number; y: number }[]> = {};
  const results: LossResult[] = [];
  const log = (s: string) => {
    if (!opts.quiet) console.log(s);
  };

  for (const [name, lossFn] of Object.entries(LOSSES)) {
    // 1-d curve with an MLP.
    const model = mlp();
    model.loadStateDict(init);
    const opt = new tg.Adam(model.parameters(), { lr: opts.lr });
    const bar = progress(`${name.padEnd(5)} curve`, opts.epochs, { quiet: opts.quiet ?? false });
    const history: number[] = [];
    for (let epoch = 1; epoch <= opts.epochs; epoch++) {
      const loss = lossFn(model.forward(data.xTrain), data.yTrain);
      opt.zeroGrad();
      loss.backward();
      opt.step();
      history.push(loss.item());
      bar.update(epoch, { loss: loss.item() });
    }
    bar.stop();
    curves[name] = history;
    const pred = tg.noGrad(() => model.forward(data.xTest));
    const testMse = tg.mseLoss(pred, data.yTest).item();
    const testMae = tg.l1Loss(pred, data.yTest).item();
    const xs = data.xTest.toArray() as number[][];
    const ps = pred.toArray() as number[][];
    fits[name] = xs.map((x, i) => ({ x: x[0] as number, y: (ps[i] as number[])[0] as number }));

    // Linear model on 5 features: how far are the learned weights from the true ones?
    const linear = new tg.Linear(5, 1);
    linear.loadStateDict(initLin);
    const linOpt = new tg.Adam(linear.parameters(), { lr: 0.05 });
    for (let epoch = 1; epoch <= opts.epochs; epoch++) {
      const loss = lossFn(linear.forward(lin.X), lin.y);
      linOpt.zeroGrad();
      loss.backward();
      linOpt.step();
    }
    const learned = linear.weight.toArray() as number[][];
    const weightError = Math.sqrt(
      lin.trueWeights.reduce((s, w, j) => s + (((learned[0] as number[])[j] as number) - w) ** 2, 0),
    );
    results.push({ loss: name, finalTrainLoss: history[history.length - 1] as number, testMse, testMae, weightError });
  }

  log("");
  log(
    formatTable(
      ["loss", "final train loss", "clean test MSE", "clean test MAE", "|w - w_true| (linear)"],
      results.map((r) => [r.loss, r.finalTrainLoss, r.testMse, r.testMae, r.weightError]),
    ),
  );
  const best = [...results].sort((a, b) => a.testMse - b.testMse)[0]!;
  const mse = results.find((r) => r.loss === "MSE")!;
  log(
    `\nWith ${(opts.outliers * 100).toFixed(0)}% outliers, ${best.loss} fits the clean curve best (test MSE ${best.testMse.toFixed(4)} vs MSE-trained ${mse.testMse.toFixed(4)}): ` +
      "squared error lets the outliers pull the fit, absolute and Huber losses cap their influence.",
  );
  log(`\nTraining loss per epoch:\n${terminalChart(curves)}`);
  const points = (data.xTrain.toArray() as number[][]).map((x, i) => ({
    x: x[0] as number,
    y: ((data.yTrain.toArray() as number[][])[i] as number[])[0] as number,
    outlier: data.outlier[i] ?? false,
  }));
  writeSvg(
    `${opts.out}/regression-loss.svg`,
    lineChartSvg("Regression: training loss", curves, { logY: true, xLabel: "epoch" }),
  );
  writeSvg(
    `${opts.out}/regression-fit.svg`,
    fitPlotSvg("Fits with MSE, MAE and Huber (orange = outliers)", points, fits),
  );
  log(`\nWrote ${opts.out}/regression-loss.svg and ${opts.out}/regression-fit.svg`);
  return results;
}
