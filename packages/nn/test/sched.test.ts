/** Learning-rate schedulers: lr sequences against closed forms and hand-computed values. */
import * as nd from "@typegrad/tensor";
import { ArgumentError } from "@typegrad/tensor";
import { describe, expect, it } from "vitest";
import {
  CosineAnnealingLR,
  LinearLR,
  type LRScheduler,
  type Optimizer,
  SequentialLR,
  SGD,
  StepLR,
  warmupCosine,
} from "../src/optim/index.js";
import { Parameter } from "../src/parameter.js";

const param = () => new Parameter(nd.array([1, 2], { dtype: "float64" }));
const sgd = (lr = 0.1) => new SGD([param()], { lr });

/** lr after construction (epoch 0) and after each of `steps` further steps, from getLastLr and the group. */
function lrs(sched: LRScheduler, opt: Optimizer, steps: number, group = 0): number[] {
  const out = [sched.getLastLr()[group]!];
  expect(opt.paramGroups[group]!.lr).toBe(out[0]);
  for (let t = 0; t < steps; t++) {
    opt.step();
    sched.step();
    const lr = sched.getLastLr()[group]!;
    expect(opt.paramGroups[group]!.lr).toBe(lr);
    out.push(lr);
  }
  return out;
}

function expectSequence(got: number[], want: number[], tol = 1e-12): void {
  expect(got.length).toBe(want.length);
  got.forEach((x, t) => {
    if (!(Math.abs(x - want[t]!) <= tol)) throw new Error(`epoch ${t}: got ${x}, expected ${want[t]}`);
  });
}

describe("StepLR", () => {
  it("multiplies by gamma every stepSize steps", () => {
    const opt = sgd(0.1);
    const got = lrs(new StepLR(opt, { stepSize: 3, gamma: 0.5 }), opt, 10);
    expectSequence(got, [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125, 0.0125], 1e-15);
  });

  it("defaults gamma to 0.1 and schedules every group from its own lr", () => {
    const opt = new SGD(
      [
        { params: [param()], lr: 1 },
        { params: [param()], lr: 0.5 },
      ],
      { lr: 0.1 },
    );
    const sched = new StepLR(opt, { stepSize: 2 });
    for (let i = 0; i < 4; i++) sched.step();
    expectSequence(sched.getLastLr(), [0.01, 0.005], 1e-15);
    expect(opt.paramGroups.map((g) => g.initialLr)).toEqual([1, 0.5]);
  });

  it("getLastLr returns a copy", () => {
    const opt = sgd(0.1);
    const sched = new StepLR(opt, { stepSize: 2 });
    sched.getLastLr()[0] = 5;
    expect(sched.getLastLr()).toEqual([0.1]);
  });
});

describe("CosineAnnealingLR (recursive form)", () => {
  const closed = (t: number, T: number, base: number, eta: number) =>
    eta + 0.5 * (1 + Math.cos((Math.PI * t) / T)) * (base - eta);

  it("follows 0.5 (1 + cos(pi t / T)) (lr - eta) + eta for t <= T", () => {
    const T = 10;
    const opt = sgd(0.1);
    const got = lrs(new CosineAnnealingLR(opt, { tMax: T, etaMin: 0.001 }), opt, T);
    expectSequence(
      got,
      got.map((_, t) => closed(t, T, 0.1, 0.001)),
    );
    expect(got[T]).toBeCloseTo(0.001, 15);
  });

  it("past tMax climbs back like the closed form (the (t - 1 - T) % 2T == 0 special case)", () => {
    const T = 4;
    const opt = sgd(0.2);
    const got = lrs(new CosineAnnealingLR(opt, { tMax: T, etaMin: 0.01 }), opt, 3 * T + 3);
    expectSequence(
      got,
      got.map((_, t) => closed(t, T, 0.2, 0.01)),
    );
    // t = T + 1 is where the ratio form would divide by 1 + cos(pi) = 0.
    expect(got[T + 1]).toBeCloseTo(0.01 + (0.19 * (1 - Math.cos(Math.PI / T))) / 2, 14);
    expect(Number.isFinite(got[3 * T + 1]!)).toBe(true);
  });

  it("defaults etaMin to 0", () => {
    const opt = sgd(1);
    const got = lrs(new CosineAnnealingLR(opt, { tMax: 2 }), opt, 2);
    expectSequence(got, [1, 0.5, 0]);
  });

  it("is recursive: an lr changed by hand carries into the next step", () => {
    const T = 10;
    const opt = sgd(0.1);
    const sched = new CosineAnnealingLR(opt, { tMax: T });
    for (let i = 0; i < 3; i++) sched.step();
    opt.paramGroups[0]!.lr = 0.05;
    sched.step();
    const ratio = (1 + Math.cos((Math.PI * 4) / T)) / (1 + Math.cos((Math.PI * 3) / T));
    expect(sched.getLastLr()[0]).toBeCloseTo(0.05 * ratio, 15);
    expect(Math.abs(sched.getLastLr()[0]! - closed(4, T, 0.1, 0))).toBeGreaterThan(1e-3);
  });
});

describe("LinearLR", () => {
  it("applies startFactor at construction and reaches endFactor after totalIters", () => {
    const opt = sgd(0.2);
    const sched = new LinearLR(opt, { startFactor: 0.25, endFactor: 1, totalIters: 4 });
    expect(opt.paramGroups[0]!.lr).toBeCloseTo(0.05, 15);
    const got = lrs(sched, opt, 6);
    expectSequence(got, [0.05, 0.0875, 0.125, 0.1625, 0.2, 0.2, 0.2]);
  });

  it("defaults to startFactor 1/3 over 5 steps", () => {
    const opt = sgd(0.3);
    const got = lrs(new LinearLR(opt), opt, 7);
    const want = got.map((_, t) => 0.3 * (1 / 3 + ((2 / 3) * Math.min(t, 5)) / 5));
    expectSequence(got, want);
  });

  it("can decay (endFactor below startFactor)", () => {
    const opt = sgd(1);
    const got = lrs(new LinearLR(opt, { startFactor: 1, endFactor: 0.5, totalIters: 2 }), opt, 3);
    expectSequence(got, [1, 0.75, 0.5, 0.5]);
  });
});

describe("SequentialLR", () => {
  it("runs a linear warmup, then cosine from the initial lr at the milestone", () => {
    const opt = sgd(1);
    const warmup = new LinearLR(opt, { startFactor: 0.1, totalIters: 3 });
    const decay = new CosineAnnealingLR(opt, { tMax: 6 });
    const sched = new SequentialLR(opt, { schedulers: [warmup, decay], milestones: [3] });
    const got = lrs(sched, opt, 9);
    const cos = (t: number) => 0.5 * (1 + Math.cos((Math.PI * t) / 6));
    expectSequence(got, [0.1, 0.4, 0.7, cos(0), cos(1), cos(2), cos(3), cos(4), cos(5), cos(6)]);
  });

  it("construction leaves the first scheduler's epoch-0 lr in the groups", () => {
    const opt = sgd(0.5);
    const a = new LinearLR(opt, { startFactor: 0.5, totalIters: 2 });
    const b = new StepLR(opt, { stepSize: 1, gamma: 0.5 });
    expect(opt.paramGroups[0]!.lr).toBeCloseTo(0.25, 15);
    const sched = new SequentialLR(opt, { schedulers: [a, b], milestones: [2] });
    expect(sched.getLastLr()).toEqual([0.25]);
    expect(opt.paramGroups[0]!.lr).toBe(0.25);
    expect(sched.lastEpoch).toBe(0);
    // warmup 0.25, 0.375; StepLR restarts at its epoch 0 (closed form): 0.5, then halves each step.
    const got = lrs(sched, opt, 4);
    expectSequence(got, [0.25, 0.375, 0.5, 0.25, 0.125]);
  });

  it("validates its arguments", () => {
    const opt = sgd();
    const a = new LinearLR(opt);
    const b = new StepLR(opt, { stepSize: 2 });
    expect(() => new SequentialLR(opt, { schedulers: [a, b], milestones: [] })).toThrow(/expected 1 milestones/);
    expect(() => new SequentialLR(opt, { schedulers: [], milestones: [] })).toThrow(ArgumentError);
    const other = new StepLR(sgd(), { stepSize: 2 });
    expect(() => new SequentialLR(opt, { schedulers: [a, other], milestones: [3] })).toThrow(/different optimizer/);
  });
});

describe("warmupCosine", () => {
  it("ramps linearly to lr at warmupSteps, then anneals to etaMin at totalSteps", () => {
    const opt = sgd(0.5);
    const got = lrs(warmupCosine(opt, { warmupSteps: 4, totalSteps: 10 }), opt, 12);
    const want = got.map((_, t) =>
      t <= 4 ? (0.5 * (t + 1)) / 5 : 0.5 * 0.5 * (1 + Math.cos((Math.PI * (t - 4)) / 6)),
    );
    expectSequence(got, want);
    expect(got[10]).toBeCloseTo(0, 15);
  });

  it("honours etaMin and startFactor", () => {
    const opt = sgd(1);
    const got = lrs(warmupCosine(opt, { warmupSteps: 2, totalSteps: 6, etaMin: 0.1, startFactor: 0.5 }), opt, 6);
    const cos = (t: number) => 0.1 + 0.9 * 0.5 * (1 + Math.cos((Math.PI * t) / 4));
    expectSequence(got, [0.5, 0.75, cos(0), cos(1), cos(2), cos(3), cos(4)]);
  });

  it("without warmup is plain cosine; bad step counts throw", () => {
    const opt = sgd(1);
    const got = lrs(warmupCosine(opt, { warmupSteps: 0, totalSteps: 4 }), opt, 4);
    expectSequence(
      got,
      got.map((_, t) => 0.5 * (1 + Math.cos((Math.PI * t) / 4))),
    );
    expect(() => warmupCosine(sgd(), { warmupSteps: 5, totalSteps: 5 })).toThrow(/totalSteps/);
    expect(() => warmupCosine(sgd(), { warmupSteps: -1, totalSteps: 5 })).toThrow(/warmupSteps/);
  });
});

describe("scheduler state", () => {
  it("stateDict/loadStateDict resume a SequentialLR schedule exactly", () => {
    const build = (opt: Optimizer) => warmupCosine(opt, { warmupSteps: 3, totalSteps: 12, etaMin: 0.01 });
    const opt = sgd(0.3);
    const sched = build(opt);
    for (let i = 0; i < 5; i++) sched.step();
    const sd = sched.stateDict();
    const osd = opt.stateDict();
    const rest: number[] = [];
    for (let i = 0; i < 6; i++) {
      sched.step();
      rest.push(sched.getLastLr()[0]!);
    }

    const opt2 = sgd(0.3);
    const sched2 = build(opt2);
    opt2.loadStateDict(osd);
    sched2.loadStateDict(sd);
    expect(sched2.getLastLr()).toEqual(opt2.paramGroups.map((g) => g.lr));
    const rest2: number[] = [];
    for (let i = 0; i < 6; i++) {
      sched2.step();
      rest2.push(sched2.getLastLr()[0]!);
    }
    expect(rest2).toEqual(rest);
    expect(sd.lastEpoch).toBe(5);
  });

  it("StepLR stateDict holds its settings and progress", () => {
    const opt = sgd(0.1);
    const sched = new StepLR(opt, { stepSize: 4, gamma: 0.3 });
    sched.step();
    sched.step();
    expect(sched.stateDict()).toEqual({
      lastEpoch: 2,
      stepCount: 3,
      baseLrs: [0.1],
      lastLr: [0.1],
      stepSize: 4,
      gamma: 0.3,
    });
  });
});

describe("scheduler validation", () => {
  const cases: [string, () => unknown, RegExp][] = [
    ["StepLR stepSize 0", () => new StepLR(sgd(), { stepSize: 0 }), /StepLR: invalid stepSize/],
    ["StepLR NaN gamma", () => new StepLR(sgd(), { stepSize: 1, gamma: Number.NaN }), /StepLR: invalid gamma/],
    ["CosineAnnealingLR tMax 0", () => new CosineAnnealingLR(sgd(), { tMax: 0 }), /invalid tMax/],
    ["LinearLR startFactor 0", () => new LinearLR(sgd(), { startFactor: 0 }), /invalid startFactor 0/],
    ["LinearLR startFactor > 1", () => new LinearLR(sgd(), { startFactor: 1.5 }), /invalid startFactor 1\.5/],
    ["LinearLR endFactor < 0", () => new LinearLR(sgd(), { endFactor: -0.1 }), /invalid endFactor/],
    ["not an optimizer", () => new StepLR({} as Optimizer, { stepSize: 1 }), /expected an Optimizer/],
  ];
  for (const [name, fn, message] of cases) {
    it(`throws ArgumentError for ${name}`, () => {
      expect(fn).toThrow(ArgumentError);
      expect(fn).toThrow(message);
    });
  }
});
