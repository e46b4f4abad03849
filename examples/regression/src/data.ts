import * as tg from "typegrad";

export interface RegressionData {
  xTrain: tg.Tensor;
  yTrain: tg.Tensor;
  xTest: tg.Tensor;
  yTest: tg.Tensor;
  outlier: boolean[];
}

/**
 * y = sin(2x) + 0.3x + N(0, 0.1²) on x ∈ [−3, 3]; a fraction of the training targets is pushed
 * 3–6 units up or down (outliers). The test set is clean, so it measures the true fit.
 */
export function noisyCurve(n: number, outlierFraction: number, rng: tg.Rng): RegressionData {
  const f = (x: number) => Math.sin(2 * x) + 0.3 * x;
  const xs: number[] = [];
  const ys: number[] = [];
  const outlier: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const x = -3 + 6 * rng.next();
    let y = f(x) + 0.1 * rng.normal();
    const isOut = rng.next() < outlierFraction;
    if (isOut) y += (rng.next() < 0.5 ? -1 : 1) * (3 + 3 * rng.next());
    xs.push(x);
    ys.push(y);
    outlier.push(isOut);
  }
  const xt = Array.from({ length: 200 }, (_, i) => -3 + (6 * i) / 199);
  return {
    xTrain: tg.tensor(xs.map((x) => [x])),
    yTrain: tg.tensor(ys.map((y) => [y])),
    xTest: tg.tensor(xt.map((x) => [x])),
    yTest: tg.tensor(xt.map((x) => [f(x)])),
    outlier,
  };
}

/** y = X·w + 0.5 + noise with standardised features; a fraction of targets gets large errors. */
export function linearProblem(n: number, features: number, outlierFraction: number, rng: tg.Rng) {
  const w = Array.from({ length: features }, (_, i) => (i % 2 === 0 ? 1 : -1) * (1 + i * 0.5));
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from({ length: features }, () => rng.normal());
    let t = row.reduce((s, v, j) => s + v * (w[j] as number), 0.5) + 0.1 * rng.normal();
    if (rng.next() < outlierFraction) t += 20 + 10 * rng.next();
    X.push(row);
    y.push(t);
  }
  return { X: tg.tensor(X), y: tg.tensor(y.map((v) => [v])), trueWeights: w, trueBias: 0.5 };
}
