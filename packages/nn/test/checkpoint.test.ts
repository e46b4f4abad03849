/**
 * Checkpoints: one safetensors file holding model + optimizer + scheduler + RNG state resumes training
 * bit for bit (AdamW + warmup/cosine + dropout, SGD with momentum, RMSprop); a checkpoint that does not
 * fit is refused with every problem named and nothing changed; and a crash mid-write (an exception in
 * the write or the rename, or the writing process killed outright) never damages the previous file.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { syncBuiltinESMExports } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Tensor } from "@typegrad/autograd";
import * as nd from "@typegrad/tensor";
import { getDefaultRng, manualSeed, NDArray, Rng } from "@typegrad/tensor";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CheckpointError,
  loadCheckpoint,
  parseCheckpoint,
  restoreCheckpoint,
  saveCheckpoint,
  serializeCheckpoint,
} from "../src/checkpoint.js";
import { Dropout, ReLU, Sequential, Tanh } from "../src/layers/basic.js";
import { Linear } from "../src/layers/linear.js";
import { crossEntropy } from "../src/losses/index.js";
import type { Module } from "../src/module.js";
import {
  AdamW,
  CosineAnnealingLR,
  LRScheduler,
  type Optimizer,
  RMSprop,
  type SchedulerStateDict,
  SGD,
  StepLR,
  warmupCosine,
} from "../src/optim/index.js";
import { parseSafetensorsWithMetadata, SafetensorsError, serializeSafetensors } from "../src/safetensors.js";

let dir = "";
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "typegrad-ckpt-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------
// A small classification task

const N = 48;
const IN = 6;
const CLASSES = 3;
const dataRngSeed = 99;
const X = nd.randn([N, IN], { rng: new Rng(5) });
const Y = nd.randint(0, CLASSES, [N], { rng: new Rng(6) });

/** Rows `idx` of `a` as a new array. */
function rows(a: NDArray, idx: ArrayLike<number>): NDArray {
  const width = a.size / (a.shape[0] as number);
  const src = a.toTypedArray();
  const out = new (src.constructor as Float32ArrayConstructor)(idx.length * width);
  for (let i = 0; i < idx.length; i++) out.set(src.subarray(idx[i]! * width, (idx[i]! + 1) * width), i * width);
  return new NDArray(out, [idx.length, ...a.shape.slice(1)]);
}

interface Run {
  model: Module & { forward(x: Tensor): Tensor };
  opt: Optimizer;
  sched: LRScheduler;
  /** Draws the mini-batches; its state travels in the checkpoint's `extra`. */
  dataRng: Rng;
}

/** One step on a random mini-batch of 16 (drawn with `dataRng`; dropout draws from the default RNG). */
function train(r: Run, steps: number): void {
  for (let i = 0; i < steps; i++) {
    const idx = nd.randperm(N, { rng: r.dataRng }).toTypedArray().subarray(0, 16);
    r.opt.zeroGrad();
    crossEntropy(r.model.forward(new Tensor(rows(X, idx))), rows(Y, idx)).backward();
    r.opt.step();
    r.sched.step();
  }
}

/** Every parameter's raw bytes, so "equal" means bit-identical (NaN payloads and -0 included). */
function paramBytes(model: Module): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [name, p] of model.namedParameters()) {
    const t = p.data.toTypedArray();
    out[name] = Array.from(new Uint8Array(t.buffer, t.byteOffset, t.byteLength));
  }
  return out;
}

/** The optimizer state with buffers as raw bytes. */
function optimizerBytes(opt: Optimizer): unknown {
  const { state, paramGroups } = opt.stateDict();
  const s: Record<string, Record<string, unknown>> = {};
  for (const [i, entry] of Object.entries(state)) {
    s[i] = {};
    for (const [k, v] of Object.entries(entry)) {
      s[i]![k] =
        v instanceof NDArray
          ? Array.from(new Uint8Array(v.toTypedArray().buffer.slice(0)))
          : { value: v, negZero: Object.is(v, -0) };
    }
  }
  return { s, paramGroups };
}

function nextWords(rng: Rng, n = 8): number[] {
  return Array.from({ length: n }, () => rng.nextUint32());
}

type Maker = (seed: number) => Run;

const adamwWarmupCosine: Maker = (seed) => {
  manualSeed(seed);
  const model = new Sequential(new Linear(IN, 16), new ReLU(), new Dropout(0.3), new Linear(16, CLASSES));
  const opt = new AdamW(model.parameters(), { lr: 3e-2, weightDecay: 0.05 });
  const sched = warmupCosine(opt, { warmupSteps: 4, totalSteps: 30, etaMin: 1e-4 });
  return { model, opt, sched, dataRng: new Rng(dataRngSeed) };
};

const sgdMomentum: Maker = (seed) => {
  manualSeed(seed);
  const model = new Sequential(new Linear(IN, 12), new Tanh(), new Dropout(0.2), new Linear(12, CLASSES));
  const opt = new SGD(
    [
      { params: (model as Sequential).parameters().slice(0, 2), lr: 0.05 },
      { params: (model as Sequential).parameters().slice(2), lr: 0.02, nesterov: true },
    ],
    { lr: 0.1, momentum: 0.9, weightDecay: 1e-3 },
  );
  const sched = new StepLR(opt, { stepSize: 7, gamma: 0.5 });
  return { model, opt, sched, dataRng: new Rng(dataRngSeed) };
};

const rmsprop: Maker = (seed) => {
  manualSeed(seed);
  const model = new Sequential(new Linear(IN, 10), new ReLU(), new Dropout(0.25), new Linear(10, CLASSES));
  const opt = new RMSprop(model.parameters(), { lr: 5e-3, momentum: 0.8, centered: true });
  const sched = new CosineAnnealingLR(opt, { tMax: 25, etaMin: 1e-5 });
  return { model, opt, sched, dataRng: new Rng(dataRngSeed) };
};

/**
 * Trains 10 steps, saves, trains 10 more; then loads into a fresh setup (other seed, so other initial
 * weights, an empty optimizer and a reset scheduler) with the default RNG scrambled, trains 10: the two
 * must agree in every bit.
 */
async function resumeIsExact(make: Maker): Promise<{ straight: Run; resumed: Run }> {
  const path = join(dir, "ckpt.safetensors");
  const straight = make(0);
  train(straight, 10);
  await saveCheckpoint(path, {
    model: straight.model,
    optimizer: straight.opt,
    scheduler: straight.sched,
    rng: "default",
    step: 10,
    extra: { dataRng: straight.dataRng.getState(), note: "resume test" },
  });
  train(straight, 10);
  const straightParams = paramBytes(straight.model);
  const straightLr = straight.sched.getLastLr();
  const straightOpt = optimizerBytes(straight.opt);
  const straightWords = nextWords(getDefaultRng());

  const resumed = make(12345);
  expect(paramBytes(resumed.model)).not.toEqual(straightParams);
  manualSeed(777); // a different default stream; the checkpoint must bring the saved one back
  const { step, extra } = await loadCheckpoint(path, {
    model: resumed.model,
    optimizer: resumed.opt,
    scheduler: resumed.sched,
    rng: "default",
  });
  expect(step).toBe(10);
  const saved = extra as { dataRng: { s: number[]; spare: number | null }; note: string };
  expect(saved.note).toBe("resume test");
  resumed.dataRng.setState(saved.dataRng);
  train(resumed, 10);

  expect(paramBytes(resumed.model)).toEqual(straightParams);
  expect(resumed.sched.getLastLr()).toEqual(straightLr);
  expect(optimizerBytes(resumed.opt)).toEqual(straightOpt);
  expect(nextWords(getDefaultRng())).toEqual(straightWords);
  return { straight, resumed };
}

describe("resuming from a checkpoint is bit-for-bit", () => {
  it("AdamW + warmup/cosine + dropout on the default RNG", async () => {
    await resumeIsExact(adamwWarmupCosine);
  });

  it("SGD with momentum (two groups, one nesterov) + StepLR", async () => {
    await resumeIsExact(sgdMomentum);
  });

  it("RMSprop (centered, momentum) + cosine annealing", async () => {
    await resumeIsExact(rmsprop);
  });

  it("is not trivially true: without the RNG state, dropout draws other masks and the weights differ", async () => {
    const path = join(dir, "no-rng.safetensors");
    const straight = adamwWarmupCosine(0);
    train(straight, 10);
    await saveCheckpoint(path, { model: straight.model, optimizer: straight.opt, scheduler: straight.sched });
    train(straight, 10);
    const resumed = adamwWarmupCosine(1);
    await loadCheckpoint(path, { model: resumed.model, optimizer: resumed.opt, scheduler: resumed.sched });
    resumed.dataRng.setState(new Rng(dataRngSeed).getState());
    for (let i = 0; i < 10; i++) nd.randperm(N, { rng: resumed.dataRng }); // skip the first 10 batches
    train(resumed, 10);
    expect(paramBytes(resumed.model)).not.toEqual(paramBytes(straight.model));
  });

  it("restores a dedicated Rng passed as rng, and the Box-Muller spare with it", async () => {
    const rng = new Rng(3);
    rng.normal(); // leaves a spare normal pending
    manualSeed(0);
    const model = new Sequential(new Linear(2, 2));
    const bytes = serializeCheckpoint({ model, rng });
    const expected = [rng.normal(), rng.normal(), rng.normal()];
    const other = new Rng(8);
    restoreCheckpoint(parseCheckpoint(bytes), { model, rng: other });
    expect([other.normal(), other.normal(), other.normal()]).toEqual(expected);
  });
});

// ---------------------------------------------------------------------------------------------------

describe("the file layout", () => {
  it("model.<name>, optimizer.state.<index>.<key> tensors and JSON metadata in one safetensors file", () => {
    const r = adamwWarmupCosine(0);
    train(r, 3);
    const bytes = serializeCheckpoint({
      model: r.model,
      optimizer: r.opt,
      scheduler: r.sched,
      rng: "default",
      step: 3,
      extra: { epoch: 0, weird: [Number.NaN, Number.NEGATIVE_INFINITY, -0] },
    });
    const { tensors, metadata } = parseSafetensorsWithMetadata(bytes);
    expect(Object.keys(tensors).sort()).toEqual(
      [
        "model.0.bias",
        "model.0.weight",
        "model.3.bias",
        "model.3.weight",
        ...[0, 1, 2, 3].flatMap((i) => [`optimizer.state.${i}.expAvg`, `optimizer.state.${i}.expAvgSq`]),
      ].sort(),
    );
    expect(Object.keys(metadata ?? {}).sort()).toEqual(
      ["extra", "format", "optimizer", "rng", "scheduler", "step", "typegrad.checkpoint"].sort(),
    );
    expect(metadata?.format).toBe("pt");
    expect(metadata?.["typegrad.checkpoint"]).toBe("1");
    const optimizer = JSON.parse(metadata?.optimizer ?? "");
    expect(optimizer.name).toBe("AdamW");
    expect(optimizer.paramShapes).toEqual([[16, IN], [16], [CLASSES, 16], [CLASSES]]);
    expect(optimizer.state["0"]).toEqual({ step: 3 });
    expect(optimizer.paramGroups[0].params).toEqual([0, 1, 2, 3]);
    const scheduler = JSON.parse(metadata?.scheduler ?? "");
    expect(scheduler.kind).toEqual({
      name: "SequentialLR",
      children: [{ name: "LinearLR" }, { name: "CosineAnnealingLR" }],
    });
    expect(scheduler.state.lastEpoch).toBe(3);
    expect(JSON.parse(metadata?.rng ?? "").s).toHaveLength(4);

    // numbers JSON has no literal for survive
    const back = parseCheckpoint(bytes);
    expect(back.step).toBe(3);
    const weird = (back.extra as { weird: number[] }).weird;
    expect(Number.isNaN(weird[0])).toBe(true);
    expect(weird[1]).toBe(Number.NEGATIVE_INFINITY);
    expect(Object.is(weird[2], -0)).toBe(true);
    // byte-stable: parse → restore → serialize again gives the same bytes
    const again = adamwWarmupCosine(5);
    manualSeed(1);
    restoreCheckpoint(back, { model: again.model, optimizer: again.opt, scheduler: again.sched, rng: "default" });
    const bytes2 = serializeCheckpoint({
      model: again.model,
      optimizer: again.opt,
      scheduler: again.sched,
      rng: "default",
      step: 3,
      extra: back.extra,
    });
    expect(bytes2).toEqual(bytes);
  });

  it("a model-only checkpoint loads into a model, and a plain weights file is refused with a pointer", async () => {
    manualSeed(0);
    const model = new Sequential(new Linear(3, 2));
    const path = join(dir, "model-only.safetensors");
    await saveCheckpoint(path, { model });
    manualSeed(1);
    const fresh = new Sequential(new Linear(3, 2));
    expect(await loadCheckpoint(path, { model: fresh })).toEqual({ step: undefined, extra: undefined });
    expect(paramBytes(fresh)).toEqual(paramBytes(model));

    const plain = serializeSafetensors(model.stateDict());
    expect(() => parseCheckpoint(plain)).toThrow(/not a typegrad checkpoint .*loadSafetensors/);
  });
});

// ---------------------------------------------------------------------------------------------------

/** Everything a load could change, as comparable data. */
function snapshot(r: Run): unknown {
  return {
    params: paramBytes(r.model),
    opt: optimizerBytes(r.opt),
    sched: r.sched.stateDict(),
    lrs: r.opt.paramGroups.map((g) => g.lr),
    rng: getDefaultRng().getState(),
  };
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a throw");
}

/** Rewrites one metadata entry of a checkpoint (as if the file had been edited or produced elsewhere). */
function editMetadata(bytes: Uint8Array, edit: (meta: Record<string, string>) => void): Uint8Array {
  const { tensors, metadata } = parseSafetensorsWithMetadata(bytes);
  const meta = { ...metadata };
  edit(meta);
  return serializeSafetensors(tensors, meta);
}

describe("a checkpoint that does not fit is refused, naming the problem, and nothing changes", () => {
  const saved = (() => {
    const r = adamwWarmupCosine(0);
    train(r, 5);
    return serializeCheckpoint({ model: r.model, optimizer: r.opt, scheduler: r.sched, rng: "default", step: 5 });
  })();

  /** Loads `bytes` into `r` (fresh AdamW setup unless given), expects `pattern`, and checks nothing changed. */
  function refused(pattern: RegExp, bytes = saved, setup?: Run, targets?: Record<string, unknown>): Error {
    const r = setup ?? adamwWarmupCosine(3);
    train(r, 2);
    const before = snapshot(r);
    const e = errorOf(() =>
      restoreCheckpoint(parseCheckpoint(bytes), {
        model: r.model,
        optimizer: r.opt,
        scheduler: r.sched,
        rng: "default",
        ...targets,
      }),
    );
    expect(e.message).toMatch(pattern);
    expect(snapshot(r)).toEqual(before);
    return e;
  }

  it("a model of another shape: every mismatched weight is listed", () => {
    manualSeed(0);
    const model = new Sequential(new Linear(IN, 8), new ReLU(), new Dropout(0.3), new Linear(8, CLASSES));
    const opt = new AdamW(model.parameters(), { lr: 3e-2 });
    const sched = warmupCosine(opt, { warmupSteps: 4, totalSteps: 30 });
    const e = refused(/0\.weight: shape \[16,6\] in the checkpoint, \[8,6\] in the model.*3\.weight/, saved, {
      model,
      opt,
      sched,
      dataRng: new Rng(1),
    });
    expect(e).toBeInstanceOf(CheckpointError);
    expect(e.message).toMatch(/optimizer state mismatch: parameter 0: shape \[16,6\] in the checkpoint, \[8,6\]/);
    expect(e.message).toMatch(/nothing was loaded/);
  });

  it("missing and unexpected weights (strict), and a float64 model", () => {
    manualSeed(0);
    const extraLayer = new Sequential(
      new Linear(IN, 16),
      new ReLU(),
      new Dropout(0.3),
      new Linear(16, CLASSES),
      new Linear(3, 3),
    );
    const setup = (m: Module): Run => {
      const opt = new AdamW(m.parameters(), { lr: 3e-2 });
      return {
        model: m as Run["model"],
        opt,
        sched: warmupCosine(opt, { warmupSteps: 4, totalSteps: 30 }),
        dataRng: new Rng(1),
      };
    };
    refused(/model weights missing from the checkpoint: 4\.weight, 4\.bias/, saved, setup(extraLayer), {
      optimizer: undefined,
      scheduler: undefined,
    });
    const f64 = setup(
      new Sequential(new Linear(IN, 16), new ReLU(), new Dropout(0.3), new Linear(16, CLASSES)).to("float64"),
    );
    refused(
      /0\.weight: dtype float32 in the checkpoint, float64 in the model \(convert with model\.to\("float32"\) first\)/,
      saved,
      f64,
    );
    // strict: false tolerates the extra layer (and leaves it alone)
    const r = setup(extraLayer);
    const tail = paramBytes(r.model)["4.weight"];
    restoreCheckpoint(parseCheckpoint(saved), { model: r.model, strict: false });
    expect(paramBytes(r.model)["4.weight"]).toEqual(tail);
  });

  it("another optimizer, another grouping, another scheduler", () => {
    manualSeed(0);
    const base = () => new Sequential(new Linear(IN, 16), new ReLU(), new Dropout(0.3), new Linear(16, CLASSES));
    const m1 = base();
    const sgd = new SGD(m1.parameters(), { lr: 0.1, momentum: 0.9 });
    refused(/the checkpoint holds AdamW state but the optimizer is SGD/, saved, {
      model: m1,
      opt: sgd,
      sched: warmupCosine(sgd, { warmupSteps: 4, totalSteps: 30 }),
      dataRng: new Rng(1),
    });
    const m2 = base();
    const grouped = new AdamW([{ params: m2.parameters().slice(0, 2) }, { params: m2.parameters().slice(2) }]);
    refused(/the checkpoint's optimizer has 1 parameter groups, the optimizer has 2/, saved, {
      model: m2,
      opt: grouped,
      sched: warmupCosine(grouped, { warmupSteps: 4, totalSteps: 30 }),
      dataRng: new Rng(1),
    });
    const m3 = base();
    const adamw = new AdamW(m3.parameters());
    refused(
      /the checkpoint holds SequentialLR\(LinearLR, CosineAnnealingLR\) scheduler state but the scheduler is CosineAnnealingLR/,
      saved,
      { model: m3, opt: adamw, sched: new CosineAnnealingLR(adamw, { tMax: 30 }), dataRng: new Rng(1) },
    );
  });

  it("asking for state the checkpoint does not have", () => {
    manualSeed(0);
    const r = adamwWarmupCosine(0);
    const modelOnly = serializeCheckpoint({ model: r.model });
    const e = refused(/an optimizer was given but the checkpoint holds no optimizer state/, modelOnly);
    expect(e.message).toMatch(/a scheduler was given but the checkpoint holds no scheduler state/);
    expect(e.message).toMatch(/an rng was given but the checkpoint holds no rng state/);
    // a scheduler without its optimizer
    refused(/the scheduler must be passed together with the optimizer it is bound to/, saved, undefined, {
      optimizer: undefined,
    });
  });

  it("an option the optimizer rejects (edited file): applied parts are rolled back", () => {
    const bad = editMetadata(saved, (meta) => {
      const o = JSON.parse(meta.optimizer!);
      o.paramGroups[0].betas = [0.9, 1.5];
      meta.optimizer = JSON.stringify(o);
    });
    const e = refused(/AdamW: invalid betas\[1\] 1\.5; expected a number in \[0, 1\).*nothing was loaded/, bad);
    expect(e).toBeInstanceOf(CheckpointError);
    expect(e.cause).toBeInstanceOf(Error);
  });

  it("a target that throws while loading: the parts already applied are rolled back", () => {
    class Flaky extends LRScheduler {
      fail = false;
      constructor(opt: Optimizer) {
        super("Flaky", opt);
        this.initialStep();
      }
      protected computeLr(): number[] {
        return this.groupLrs().map((lr) => lr * 0.9);
      }
      override loadStateDict(sd: SchedulerStateDict): void {
        if (this.fail) throw new Error("Flaky: refusing to load");
        super.loadStateDict(sd);
      }
    }
    const make = (seed: number): Run => {
      const r = adamwWarmupCosine(seed);
      const opt = new AdamW(r.model.parameters(), { lr: 0.01 });
      return { ...r, opt, sched: new Flaky(opt) };
    };
    const r = make(0);
    train(r, 4);
    const bytes = serializeCheckpoint({ model: r.model, optimizer: r.opt, scheduler: r.sched, rng: "default" });
    const fresh = make(1);
    (fresh.sched as Flaky).fail = true;
    // the optimizer is loaded first, then the scheduler throws: the optimizer must be back as it was
    refused(/Flaky: refusing to load; nothing was loaded/, bytes, fresh);
  });

  it("corrupt or foreign metadata is a CheckpointError from parseCheckpoint", () => {
    const cases: [(m: Record<string, string>) => void, RegExp][] = [
      [
        (m) => {
          m["typegrad.checkpoint"] = "2";
        },
        /layout version "2" is not supported/,
      ],
      [
        (m) => {
          m.optimizer = "{nope";
        },
        /"optimizer" metadata is not valid JSON/,
      ],
      [
        (m) => {
          m.rng = JSON.stringify({ s: [0, 0, 0, 0], spare: null });
        },
        /4 state words .* not all zero/,
      ],
      [
        (m) => {
          m.rng = JSON.stringify({ s: [1, 2, 3, 2 ** 32], spare: null });
        },
        /4 state words in 0\.\.2\^32-1/,
      ],
      [
        (m) => {
          m.step = "-1";
        },
        /"step" must be an integer >= 0, got number -1/,
      ],
      [
        (m) => {
          const o = JSON.parse(m.optimizer!);
          o.paramGroups[0].params = [0, 1, 2, 9];
          m.optimizer = JSON.stringify(o);
        },
        /group 0 lists parameter number 9, which is out of range 0\.\.3/,
      ],
      [
        (m) => {
          const o = JSON.parse(m.optimizer!);
          o.paramShapes[0] = [6, 16];
          m.optimizer = JSON.stringify(o);
        },
        /optimizer state "exp(Avg|AvgSq)" of parameter 0 has shape \[16,6\] but the parameter has shape \[6,16\]/,
      ],
      [
        (m) => {
          const s = JSON.parse(m.scheduler!);
          s.state.schedulers.pop();
          m.scheduler = JSON.stringify(s);
        },
        /must hold 2 nested scheduler states/,
      ],
      [
        (m) => {
          delete m.optimizer;
        },
        /optimizer tensors but no "optimizer" metadata entry/,
      ],
    ];
    for (const [edit, pattern] of cases) {
      const e = errorOf(() => parseCheckpoint(editMetadata(saved, edit)));
      expect(e, String(pattern)).toBeInstanceOf(CheckpointError);
      expect(e.message).toMatch(pattern);
    }
    const stray = serializeSafetensors(
      { ...parseSafetensorsWithMetadata(saved).tensors, "ema.weight": nd.ones([1]) },
      {
        ...parseSafetensorsWithMetadata(saved).metadata,
      },
    );
    expect(() => parseCheckpoint(stray)).toThrow(
      /tensor "ema.weight" is neither "model.<name>" nor "optimizer.state.<index>.<key>"/,
    );
  });

  it("bad arguments to saveCheckpoint", () => {
    const r = adamwWarmupCosine(0);
    const other = new AdamW(r.model.parameters());
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ model: {} }, /model must be a Module, got an object \(Object\)/],
      [{ model: r.model, scheduler: r.sched }, /bound to an optimizer that was not passed/],
      [{ model: r.model, optimizer: other, scheduler: r.sched }, /bound to a different optimizer/],
      [{ model: r.model, rng: 42 }, /rng must be an Rng or "default", got number 42/],
      [{ model: r.model, step: 1.5 }, /step must be an integer >= 0, got number 1.5/],
      [{ model: r.model, extra: { n: 10n } }, /extra cannot be stored as JSON/],
      [{ model: r.model, extra: { w: nd.ones([1]) } }, /extra cannot be stored as JSON: it holds an NDArray/],
      [{ model: r.model, epoch: 3 }, /unknown field "epoch"/],
    ];
    for (const [state, pattern] of cases) {
      const e = errorOf(() => serializeCheckpoint(state as never));
      expect(e).toBeInstanceOf(CheckpointError);
      expect(e.message).toMatch(pattern);
    }
  });

  it("a truncated file is a SafetensorsError naming the path", async () => {
    const path = join(dir, "cut.safetensors");
    await writeFile(path, saved.subarray(0, saved.length - 3));
    const r = adamwWarmupCosine(0);
    await expect(loadCheckpoint(path, { model: r.model })).rejects.toThrow(SafetensorsError);
    await expect(loadCheckpoint(path, { model: r.model })).rejects.toThrow(path);
  });
});

// ---------------------------------------------------------------------------------------------------

describe("a crash mid-write leaves the previous checkpoint intact", () => {
  async function twoVersions(): Promise<{
    path: string;
    v1: Uint8Array;
    state2: Parameters<typeof saveCheckpoint>[1];
  }> {
    const path = join(dir, "ckpt.safetensors");
    const r = adamwWarmupCosine(0);
    train(r, 2);
    await saveCheckpoint(path, { model: r.model, optimizer: r.opt, scheduler: r.sched, rng: "default", step: 2 });
    const v1 = new Uint8Array(await readFile(path));
    train(r, 2);
    return { path, v1, state2: { model: r.model, optimizer: r.opt, scheduler: r.sched, rng: "default", step: 4 } };
  }

  async function intact(path: string, v1: Uint8Array): Promise<void> {
    expect(new Uint8Array(await readFile(path))).toEqual(v1);
    expect(await readdir(dir)).toEqual(["ckpt.safetensors"]); // no temporary file left behind
    const r = adamwWarmupCosine(9);
    expect((await loadCheckpoint(path, { model: r.model, optimizer: r.opt, scheduler: r.sched })).step).toBe(2);
  }

  it("the write fails halfway (disk full): temp file removed, old file untouched", async () => {
    const { path, v1, state2 } = await twoVersions();
    const probe = await fs.promises.open(join(dir, "probe"), "w");
    const FileHandle = Object.getPrototypeOf(probe) as { writeFile: (b: Uint8Array) => Promise<void> };
    await probe.close();
    await rm(join(dir, "probe"));
    const original = FileHandle.writeFile;
    let tempSeen = "";
    FileHandle.writeFile = async function (this: typeof FileHandle, bytes: Uint8Array) {
      await original.call(this, bytes.subarray(0, bytes.length >> 1)); // half the bytes reach the disk...
      tempSeen = (await readdir(dir)).find((f) => f.endsWith(".tmp")) ?? "";
      throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" }); // ...then it fails
    };
    try {
      await expect(saveCheckpoint(path, state2)).rejects.toThrow(/ENOSPC/);
    } finally {
      FileHandle.writeFile = original;
    }
    expect(tempSeen).toMatch(/^ckpt\.safetensors\..*\.tmp$/); // the write really went to a temp file
    await intact(path, v1);
  });

  it("the rename fails: temp file removed, old file untouched", async () => {
    const { path, v1, state2 } = await twoVersions();
    const promises = fs.promises as { rename: (a: string, b: string) => Promise<void> };
    const original = promises.rename;
    let renamed: string[] = [];
    promises.rename = async (from: string, to: string) => {
      renamed = [from, to];
      throw Object.assign(new Error("EIO: i/o error, rename"), { code: "EIO" });
    };
    syncBuiltinESMExports(); // make `import("node:fs/promises")` see the patched rename
    try {
      await expect(saveCheckpoint(path, state2)).rejects.toThrow(/EIO/);
    } finally {
      promises.rename = original;
      syncBuiltinESMExports();
    }
    expect(renamed[1]).toBe(path);
    expect(renamed[0]).toMatch(/\.tmp$/);
    await intact(path, v1);
  });

  it("saving over a directory fails cleanly without a stray temp file", async () => {
    const target = join(dir, "ckpt.safetensors");
    await fs.promises.mkdir(join(target, "sub"), { recursive: true });
    const r = adamwWarmupCosine(0);
    await expect(saveCheckpoint(target, { model: r.model })).rejects.toThrow();
    expect(await readdir(dir)).toEqual(["ckpt.safetensors"]);
    expect(fs.statSync(target).isDirectory()).toBe(true);
  });

  it("the writing process is killed (SIGKILL) at random moments: the file always holds a whole checkpoint", async () => {
    const nnIndex = fileURLToPath(new URL("../src/index.ts", import.meta.url));
    const root = fileURLToPath(new URL("../../..", import.meta.url));
    const path = join(dir, "ckpt.safetensors");
    // A writer that saves a ~2 MB checkpoint over and over, with the step number in every weight.
    const script = join(dir, "writer.mts");
    await writeFile(
      script,
      [
        `import { Linear, Sequential, saveCheckpoint } from ${JSON.stringify(nnIndex)};`,
        `const model = new Sequential(new Linear(512, 512), new Linear(512, 512));`,
        `for (let step = 1; ; step++) {`,
        `  for (const p of model.parameters()) p.data.data.fill(step);`,
        `  await saveCheckpoint(${JSON.stringify(path)}, { model, step });`,
        `  process.stdout.write(\`saved \${step}\\n\`);`,
        `}`,
      ].join("\n"),
    );
    const rng = new Rng(2024);
    const ROUNDS = 6;
    let kills = 0;
    let maxStep = 0;
    let saves = 0;
    let killedMidWrite = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // node itself with tsx as a loader (the tsx CLI would run the writer in a grandchild we could not kill)
      const child = spawn(process.execPath, ["--import", "tsx", script], {
        cwd: root,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      let err = "";
      child.stdout.on("data", (d) => {
        out += d;
      });
      child.stderr.on("data", (d) => {
        err += d;
      });
      // wait until it has saved at least once, then kill it a random few milliseconds later
      const start = Date.now();
      while (!out.includes("saved") && child.exitCode === null && Date.now() - start < 30_000) {
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(err).toBe("");
      expect(out).toContain("saved");
      if (round < ROUNDS / 2) {
        await new Promise((r) => setTimeout(r, rng.int(0, 60))); // at a random moment
      } else {
        // the moment a temp file shows up, i.e. while the next save is being written
        const until = Date.now() + 5_000;
        while (!fs.readdirSync(dir).some((f) => f.endsWith(".tmp")) && Date.now() < until);
      }
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await exited;
      kills++;

      // Whatever moment it died at, the checkpoint is complete and self-consistent.
      const restored = new Sequential(new Linear(512, 512), new Linear(512, 512));
      const { step } = await loadCheckpoint(path, { model: restored });
      expect(step).toBeGreaterThanOrEqual(1);
      for (const p of restored.parameters()) {
        const values = p.data.toTypedArray();
        expect(values[0]).toBe(step);
        expect(values.every((v) => v === step)).toBe(true);
      }
      maxStep = Math.max(maxStep, step as number);
      // a killed writer can leave its temp file behind (nothing can clean up after SIGKILL); it never
      // replaces the checkpoint, and loaders ignore it
      for (const f of await readdir(dir)) {
        if (f.endsWith(".tmp")) {
          killedMidWrite++;
          await rm(join(dir, f));
        }
      }
      saves += out.split("\n").filter((l) => l.startsWith("saved")).length;
    }
    expect(kills).toBe(ROUNDS);
    // How many kills landed mid-write depends on timing (reported below, not asserted: a loaded CI
    // machine may land none); the file-level failures above cover the mid-write path deterministically.
    expect(maxStep).toBeGreaterThanOrEqual(1);
    console.log(
      `checkpoint kill test: ${kills} writers killed after ${saves} completed saves, ${killedMidWrite} of them mid-write (temp file left behind); the checkpoint loaded whole every time`,
    );
  }, 120_000);
});
