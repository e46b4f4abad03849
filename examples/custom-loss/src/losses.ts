import * as tg from "typegrad";

const { nd } = tg;

/**
 * Binary focal loss (Lin et al., 2017) composed from Tensor ops, so autograd derives its gradient:
 * `FL = −α_t (1 − p_t)^γ log p_t` with `p_t` the probability of the true class. Computed from logits
 * with `logSigmoid(z) = −softplus(−z)`, so it never takes `log(0)`.
 */
export function focalLoss(
  logits: tg.Tensor,
  targets: tg.Tensor,
  opts: { gamma?: number; alpha?: number } = {},
): tg.Tensor {
  const gamma = opts.gamma ?? 2;
  const alpha = opts.alpha ?? 0.25;
  const logP = logits.neg().softplus().neg(); // log σ(z)
  const logNotP = logits.softplus().neg(); // log(1 − σ(z))
  const logPt = targets.mul(logP).add(targets.neg().add(1).mul(logNotP));
  const pt = logPt.exp();
  const alphaT = targets.mul(alpha).add(
    targets
      .neg()
      .add(1)
      .mul(1 - alpha),
  );
  return alphaT.mul(pt.neg().add(1).pow(gamma)).mul(logPt).neg().mean();
}

/**
 * The per-element log-cosh loss as a custom op with a hand-written backward:
 * forward `log cosh(d)` computed stably as `|d| + log1p(e^{−2|d|}) − log 2`, backward `tanh(d)`.
 * The backward is written with Tensor ops, so double backward works too.
 */
export const logCoshOp = tg.defineOp({
  name: "logCosh",
  forward(ctx, diff) {
    ctx.saveForBackward(diff);
    const a = nd.abs(diff);
    return nd.sub(nd.add(a, nd.log1p(nd.exp(nd.mul(a, -2)))), Math.LN2);
  },
  backward(ctx, gradOut) {
    const [diff] = ctx.saved;
    return [gradOut.mul(diff!.tanh())];
  },
});

/** Mean log-cosh regression loss: quadratic near 0, linear for large errors (a smooth Huber). */
export function logCoshLoss(pred: tg.Tensor, target: tg.Tensor): tg.Tensor {
  return logCoshOp(pred.sub(target)).mean();
}
