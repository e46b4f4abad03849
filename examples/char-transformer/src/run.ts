import { readFileSync } from "node:fs";
import { formatTable, lineChartSvg, progress, terminalChart, writeSvg } from "@typegrad/examples-shared";
import * as tg from "typegrad";
import { type GptConfig, languageModelLoss, TinyGpt } from "./model.js";

export interface CharTransformerOptions {
  steps: number;
  seed: number;
  lr: number;
  batchSize: number;
  blockSize: number;
  dModel: number;
  heads: number;
  layers: number;
  warmup: number;
  sample: number;
  activation?: "gelu" | "relu";
  dropout?: number;
  weightDecay?: number;
  out: string;
  save?: string;
  load?: string;
  quiet?: boolean;
}

export interface CharTransformerResult {
  firstLoss: number;
  finalLoss: number;
  uniformLoss: number;
  sample: string;
  stepsPerSecond: number;
  parameters: number;
}

/** The shipped public-domain text (Shakespeare's sonnets 18, 29, 116, 130 and Hamlet's soliloquy). */
export function loadText(): string {
  return readFileSync(new URL("../data/sonnets.txt", import.meta.url), "utf8");
}

/** Character vocabulary with encode/decode. */
export function vocabulary(text: string) {
  const chars = [...new Set(text)].sort();
  const index = new Map(chars.map((c, i) => [c, i]));
  return {
    chars,
    encode: (s: string) => [...s].map((c) => index.get(c) ?? 0),
    decode: (ids: number[]) => ids.map((i) => chars[i] ?? "?").join(""),
  };
}

/** A batch of random windows: inputs (B, T) and the same windows shifted by one as targets. */
function batch(data: Int32Array, B: number, T: number, rng: tg.Rng): [tg.Tensor, tg.Tensor] {
  const x = new Int32Array(B * T);
  const y = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const start = rng.int(0, data.length - T - 1);
    x.set(data.subarray(start, start + T), b * T);
    y.set(data.subarray(start + 1, start + T + 1), b * T);
  }
  return [tg.tensor(x, { shape: [B, T] }), tg.tensor(y, { shape: [B, T] })];
}

/** Samples `n` characters after `prompt`, at `temperature`, from the model's next-token distribution. */
export function generate(
  model: TinyGpt,
  vocab: ReturnType<typeof vocabulary>,
  prompt: string,
  n: number,
  rng: tg.Rng,
  temperature = 0.8,
): string {
  const ids = vocab.encode(prompt);
  model.eval();
  tg.noGrad(() => {
    for (let i = 0; i < n; i++) {
      const context = ids.slice(-model.config.blockSize);
      const logits = model.forward(tg.tensor(Int32Array.from(context), { shape: [1, context.length] }));
      const last = logits
        .narrow(1, context.length - 1, 1)
        .reshape(-1)
        .div(temperature)
        .softmax(0)
        .toArray() as number[];
      let u = rng.next();
      let next = last.length - 1;
      for (let c = 0; c < last.length; c++) {
        u -= last[c]!;
        if (u <= 0) {
          next = c;
          break;
        }
      }
      ids.push(next);
    }
  });
  model.train();
  return vocab.decode(ids);
}

/** Trains the tiny GPT with AdamW, warmup + cosine LR and gradient clipping; samples text at the end. */
export async function runCharTransformer(opts: CharTransformerOptions): Promise<CharTransformerResult> {
  const log = (s: string) => {
    if (!opts.quiet) console.log(s);
  };
  const text = loadText();
  const vocab = vocabulary(text);
  const data = Int32Array.from(vocab.encode(text));
  tg.manualSeed(opts.seed);
  const config: GptConfig = {
    vocabSize: vocab.chars.length,
    blockSize: opts.blockSize,
    dModel: opts.dModel,
    numHeads: opts.heads,
    numLayers: opts.layers,
    dropout: opts.dropout ?? 0,
    activation: opts.activation ?? "gelu",
  };
  const model = new TinyGpt(config);
  if (opts.load) {
    model.loadStateDict(await tg.loadSafetensors(opts.load));
    log(`Loaded weights from ${opts.load}`);
  }
  log(`TinyGpt: ${model.numParameters()} parameters, vocab ${vocab.chars.length}, ${data.length} characters of text`);
  const decay = model
    .namedParameters()
    .filter(([n, p]) => p.ndim >= 2 && !n.includes("Embedding"))
    .map(([, p]) => p);
  const noDecay = model.parameters().filter((p) => !decay.includes(p));
  const opt = new tg.AdamW(
    [
      { params: decay, weightDecay: opts.weightDecay ?? 0.01 },
      { params: noDecay, weightDecay: 0 },
    ],
    { lr: opts.lr, betas: [0.9, 0.99] },
  );
  const warmupSteps = Math.max(0, Math.min(opts.warmup, opts.steps - 1));
  const schedule = tg.warmupCosine(opt, { warmupSteps, totalSteps: opts.steps, etaMin: opts.lr / 10 });
  const rng = new tg.Rng(opts.seed + 1);
  const losses: number[] = [];
  const bar = progress("char-transformer", opts.steps, { quiet: opts.quiet ?? false });
  const start = performance.now();
  for (let step = 1; step <= opts.steps; step++) {
    const [x, y] = batch(data, opts.batchSize, opts.blockSize, rng);
    const loss = languageModelLoss(model.forward(x), y);
    opt.zeroGrad();
    loss.backward();
    tg.clipGradNorm(model.parameters(), 1.0);
    opt.step();
    schedule.step();
    losses.push(loss.item());
    bar.update(step, { loss: loss.item(), lr: opt.paramGroups[0]!.lr });
  }
  bar.stop();
  const seconds = (performance.now() - start) / 1000;
  const smooth = (i: number) =>
    losses.slice(Math.max(0, i - 9), i + 1).reduce((a, b) => a + b, 0) / Math.min(10, i + 1);
  const result: CharTransformerResult = {
    firstLoss: losses[0]!,
    finalLoss: smooth(losses.length - 1),
    uniformLoss: Math.log(vocab.chars.length),
    sample: "",
    stepsPerSecond: opts.steps / seconds,
    parameters: model.numParameters(),
  };
  if (opts.sample > 0) result.sample = generate(model, vocab, "Shall I ", opts.sample, new tg.Rng(opts.seed + 2));
  if (opts.save) {
    await tg.saveSafetensors(opts.save, model.stateDict(), { format: "pt", model: "TinyGpt" });
    log(`Saved weights to ${opts.save}`);
  }
  log(
    `\n${formatTable(
      ["metric", "value"],
      [
        ["uniform-guess loss ln(vocab)", result.uniformLoss],
        ["first-step loss", result.firstLoss],
        ["final loss (mean of last 10)", result.finalLoss],
        ["steps/s", result.stepsPerSecond],
      ],
    )}`,
  );
  if (result.sample) log(`\nSample:\n${result.sample}\n`);
  log(`Loss per step:\n${terminalChart({ "train loss": losses }, { log: false })}`);
  writeSvg(
    `${opts.out}/char-transformer-loss.svg`,
    lineChartSvg("Character transformer: training loss", { "train loss": losses }, { xLabel: "step" }),
  );
  return result;
}
