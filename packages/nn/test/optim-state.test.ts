/** Optimizer bookkeeping: state dicts, resuming, dtypes, skipped parameters, zeroGrad and validation. */
import { type Tensor, tensor } from "@typegrad/autograd";
import * as nd from "@typegrad/tensor";
import { ArgumentError, NDArray, ShapeError } from "@typegrad/tensor";
import { describe, expect, it } from "vitest";
import { Adam, AdamW, type Optimizer, type OptimizerStateDict, RMSprop, SGD } from "../src/optim/index.js";
import { Parameter } from "../src/parameter.js";

const INIT = [
  [0.2, 0.9, -1.1],
  [1.4, 0.1, -0.6, 0.8],
  [-0.3, 0.5],
];
const TARGET = [
  [1.0, -2.0, 0.5],
  [0.3, -0.7, 2.5, -1.2],
  [0.9, 0.1],
];

function makeParams(dtype: "float32" | "float64" = "float64", init = INIT): Parameter[] {
  return init.map((v) => new Parameter(nd.array(v, { dtype })));
}

/** loss = Σ (i + 1) (p - c)² per parameter, plus a coupling term so gradients mix parameters. */
function backwardOn(params: Parameter[]): void {
  let loss: Tensor | null = null;
  params.forEach((p, j) => {
    const d = p.sub(tensor(nd.array(TARGET[j]!, { dtype: p.dtype })));
    const term = d
      .mul(d)
      .sum()
      .mul(j + 1);
    loss = loss ? loss.add(term) : term;
  });
  const coupling = params[0]!.sum().mul(params[2]!.sum()).mul(0.1);
  (loss as unknown as Tensor).add(coupling).backward();
}

function train(opt: Optimizer, params: Parameter[], steps: number): void {
  for (let t = 0; t < steps; t++) {
    opt.zeroGrad();
    backwardOn(params);
    opt.step();
  }
}

const snapshot = (params: Parameter[]): number[][] => params.map((p) => Array.from(p.data.toTypedArray()));

type Make = (ps: Parameter[]) => Optimizer;
const groupsOf = (ps: Parameter[]) => [{ params: [ps[0]!, ps[1]!] }, { params: [ps[2]!], lr: 0.03 }];
const makers: [string, Make][] = [
  ["SGD momentum + nesterov", (ps) => new SGD(groupsOf(ps), { lr: 0.05, momentum: 0.9, nesterov: true })],
  ["SGD momentum + dampening", (ps) => new SGD(ps, { lr: 0.05, momentum: 0.9, dampening: 0.2 })],
  ["RMSprop centered + momentum", (ps) => new RMSprop(groupsOf(ps), { centered: true, momentum: 0.5 })],
  ["Adam amsgrad", (ps) => new Adam(groupsOf(ps), { lr: 0.1, amsgrad: true })],
  ["AdamW", (ps) => new AdamW(ps, { lr: 0.1, weightDecay: 0.2 })],
];

describe("stateDict / loadStateDict", () => {
  for (const [name, make] of makers) {
    it(`${name}: saving after 3 steps and loading into a fresh optimizer resumes bit for bit`, () => {
      const params = makeParams();
      const opt = make(params);
      train(opt, params, 3);
      const sd = opt.stateDict();
      const at3 = snapshot(params);
      train(opt, params, 3);
      const continued = snapshot(params);

      const fresh = makeParams("float64", at3);
      const opt2 = make(fresh);
      opt2.loadStateDict(sd);
      train(opt2, fresh, 3);
      expect(snapshot(fresh)).toEqual(continued);

      // Without the saved state the continuation differs, so the state is what made it identical.
      const cold = makeParams("float64", at3);
      train(make(cold), cold, 3);
      expect(snapshot(cold)).not.toEqual(continued);
    });
  }

  it("refers to parameters by index in group order and holds the state buffers torch holds", () => {
    const params = makeParams();
    const opt = new Adam(groupsOf(params), { lr: 0.1, amsgrad: true });
    params[1]!.requiresGrad = true;
    opt.zeroGrad();
    backwardOn(params);
    params[1]!.grad = null; // skipped: no state for it
    opt.step();
    const sd = opt.stateDict();
    expect(sd.paramGroups.map((g) => g.params)).toEqual([[0, 1], [2]]);
    expect(sd.paramGroups.map((g) => g.lr)).toEqual([0.1, 0.03]);
    expect(sd.paramGroups[0]!.betas).toEqual([0.9, 0.999]);
    expect(Object.keys(sd.state).sort()).toEqual(["0", "2"]);
    const s0 = sd.state[0]!;
    expect(Object.keys(s0).sort()).toEqual(["expAvg", "expAvgSq", "maxExpAvgSq", "step"]);
    expect(s0.step).toBe(1);
    expect(s0.expAvg).toBeInstanceOf(NDArray);
    expect((s0.expAvg as NDArray).shape).toEqual([3]);
    expect((s0.expAvg as NDArray).dtype).toBe("float64");
  });

  it("is a deep copy: later steps and option changes do not reach it", () => {
    const params = makeParams();
    const opt = new Adam(params, { lr: 0.1 });
    train(opt, params, 2);
    const sd = opt.stateDict();
    const before = JSON.stringify(toPlain(sd));
    train(opt, params, 2);
    opt.paramGroups[0]!.lr = 123;
    (opt.paramGroups[0]!.betas as unknown as number[])[0] = 0.5;
    expect(JSON.stringify(toPlain(sd))).toBe(before);
    expect(sd.paramGroups[0]!.lr).toBe(0.1);
    expect(sd.state[0]!.step).toBe(2);
    // ...and it does change when read again, so the comparison above can fail.
    expect(JSON.stringify(toPlain(opt.stateDict()))).not.toBe(before);
  });

  it("loading copies too: mutating the loaded dict afterwards does not change the optimizer", () => {
    const params = makeParams();
    const opt = new SGD(params, { lr: 0.1, momentum: 0.9 });
    train(opt, params, 2);
    const sd = opt.stateDict();
    const opt2 = new SGD(makeParams(), { lr: 0.5, momentum: 0.9 });
    opt2.loadStateDict(sd);
    expect(opt2.paramGroups[0]!.lr).toBe(0.1);
    const buf = sd.state[0]!.momentumBuffer as NDArray;
    const saved = Array.from(buf.data);
    buf.data[0] = 999;
    sd.paramGroups[0]!.lr = 7;
    const mine = opt2.state.get(opt2.paramGroups[0]!.params[0]!)!.momentumBuffer as NDArray;
    expect(Array.from(mine.data)).toEqual(saved);
    expect(opt2.paramGroups[0]!.lr).toBe(0.1);
  });

  it("restores options saved by a scheduler-changed optimizer (lr, initialLr)", () => {
    const opt = new SGD(makeParams(), { lr: 0.1 });
    opt.paramGroups[0]!.lr = 0.025;
    opt.paramGroups[0]!.initialLr = 0.1;
    const opt2 = new SGD(makeParams(), { lr: 0.1 });
    opt2.loadStateDict(opt.stateDict());
    expect(opt2.paramGroups[0]!.lr).toBe(0.025);
    expect(opt2.paramGroups[0]!.initialLr).toBe(0.1);
  });

  it("rejects dicts that do not fit the optimizer", () => {
    const params = makeParams();
    const opt = new Adam(groupsOf(params));
    train(opt, params, 1);
    const sd = opt.stateDict();
    expect(() => new Adam(makeParams()).loadStateDict(sd)).toThrow(/2 parameter groups.*has 1/);
    const other = makeParams();
    const wrongSizes = new Adam([{ params: [other[0]!] }, { params: [other[1]!, other[2]!] }]);
    expect(() => wrongSizes.loadStateDict(sd)).toThrow(/group 0 has 2 parameters in the state dict but 1/);
    const shapes = [makeParams()[1]!, makeParams()[0]!, makeParams()[2]!];
    expect(() => new Adam(groupsOf(shapes)).loadStateDict(sd)).toThrow(ShapeError);
    expect(() => opt.loadStateDict({} as never)).toThrow(ArgumentError);
  });
});

function toPlain(sd: OptimizerStateDict): unknown {
  const state = Object.fromEntries(
    Object.entries(sd.state).map(([k, s]) => [
      k,
      Object.fromEntries(Object.entries(s).map(([n, v]) => [n, v instanceof NDArray ? Array.from(v.data) : v])),
    ]),
  );
  return { state, paramGroups: sd.paramGroups };
}

describe("updates", () => {
  it("work on float32 parameters, keep float32 state, and track the float64 result closely", () => {
    const p64 = makeParams("float64");
    const p32 = makeParams("float32");
    const o64 = new Adam(p64, { lr: 0.05, amsgrad: true });
    const o32 = new Adam(p32, { lr: 0.05, amsgrad: true });
    for (let t = 0; t < 6; t++) {
      train(o64, p64, 1);
      train(o32, p32, 1);
      const a = snapshot(p64).flat();
      const b = snapshot(p32).flat();
      a.forEach((x, i) => {
        expect(Math.abs(x - b[i]!)).toBeLessThan(1e-5);
      });
    }
    expect(p32[0]!.data.data).toBeInstanceOf(Float32Array);
    expect(p32[0]!.dtype).toBe("float32");
    const st = o32.state.get(p32[0]!)!;
    expect((st.expAvg as NDArray).data).toBeInstanceOf(Float32Array);
    expect((st.maxExpAvgSq as NDArray).data).toBeInstanceOf(Float32Array);
    // Values stored in float32 are float32-representable (rounded on store).
    for (const x of snapshot(p32).flat()) expect(Math.fround(x)).toBe(x);
    expect(snapshot(p32).flat()).not.toEqual(INIT.flat().map(Math.fround));
  });

  it("float32 SGD and RMSprop also update in place", () => {
    for (const make of [
      (ps: Parameter[]) => new SGD(ps, { lr: 0.1, momentum: 0.9 }),
      (ps: Parameter[]) => new RMSprop(ps),
    ]) {
      const params = makeParams("float32");
      const storage = params.map((p) => p.data.data);
      train(make(params), params, 3);
      params.forEach((p, j) => {
        expect(p.data.data).toBe(storage[j]);
        expect(Array.from(p.data.data)).not.toEqual(INIT[j]!.map(Math.fround));
      });
    }
  });

  it("run in place on the parameter's storage and bump its version", () => {
    const params = makeParams();
    const storage = params[0]!.data.data;
    const data = params[0]!.data;
    const v = params[0]!.version;
    const opt = new SGD(params, { lr: 0.1 });
    backwardOn(params);
    opt.step();
    expect(params[0]!.data).toBe(data);
    expect(params[0]!.data.data).toBe(storage);
    expect(params[0]!.version).toBe(v + 1);
  });

  it("skip parameters whose grad is null (no update, no state)", () => {
    const params = makeParams();
    const opt = new Adam(params, { lr: 0.1 });
    backwardOn(params);
    params[1]!.grad = null;
    const before = snapshot(params);
    opt.step();
    const after = snapshot(params);
    expect(after[1]).toEqual(before[1]);
    expect(after[0]).not.toEqual(before[0]);
    expect(opt.state.has(params[1]!)).toBe(false);
    expect(opt.state.has(params[0]!)).toBe(true);
  });

  it("write back into non-contiguous parameters", () => {
    const base = nd.array(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { dtype: "float64" },
    );
    const p = new Parameter(base.transpose(0, 1)); // shape [3, 2], strided
    expect(p.data.isContiguous()).toBe(false);
    p.grad = tensor(nd.array([1, 2, 3, 4, 5, 6], { dtype: "float64" }).reshape(3, 2));
    new SGD([p], { lr: 0.5 }).step();
    expect(p.toArray()).toEqual([
      [0.5, 3],
      [0.5, 3],
      [0.5, 3],
    ]);
  });

  it("reject a gradient whose shape does not match the parameter", () => {
    const p = new Parameter(nd.array([1, 2, 3], { dtype: "float64" }));
    p.grad = tensor(nd.array([1, 2], { dtype: "float64" }));
    expect(() => new SGD([p], { lr: 0.1 }).step()).toThrow(/SGD\.step: gradient of shape \[2\].*\[3\]/);
  });

  it("step(closure) re-evaluates the loss with grad enabled and returns it", () => {
    const params = makeParams();
    const opt = new SGD(params, { lr: 0.1 });
    const loss = opt.step(() => {
      opt.zeroGrad();
      backwardOn(params);
      return 42;
    });
    expect(loss).toBe(42);
    expect(snapshot(params)[0]).not.toEqual(INIT[0]);
  });
});

describe("zeroGrad", () => {
  it("sets grads to null by default", () => {
    const params = makeParams();
    const opt = new SGD(params, { lr: 0.1 });
    backwardOn(params);
    expect(params[0]!.grad).not.toBeNull();
    opt.zeroGrad();
    expect(params.map((p) => p.grad)).toEqual([null, null, null]);
  });

  it("zeroes in place with setToNone: false", () => {
    const params = makeParams();
    const opt = new SGD(params, { lr: 0.1 });
    backwardOn(params);
    const g = params[0]!.grad!;
    expect(g.toArray()).not.toEqual([0, 0, 0]);
    opt.zeroGrad({ setToNone: false });
    expect(params[0]!.grad).toBe(g);
    expect(g.toArray()).toEqual([0, 0, 0]);
  });
});

describe("validation", () => {
  const ps = () => makeParams();
  const cases: [string, () => unknown, RegExp][] = [
    ["SGD without lr", () => new SGD(ps(), {} as { lr: number }), /SGD: lr is required/],
    ["SGD NaN lr", () => new SGD(ps(), { lr: Number.NaN }), /SGD: invalid lr NaN/],
    ["SGD Infinity lr", () => new SGD(ps(), { lr: Number.POSITIVE_INFINITY }), /SGD: invalid lr Infinity/],
    ["SGD negative lr", () => new SGD(ps(), { lr: -0.1 }), /SGD: invalid lr -0\.1/],
    ["SGD negative momentum", () => new SGD(ps(), { lr: 0.1, momentum: -0.5 }), /SGD: invalid momentum -0\.5/],
    ["SGD NaN weightDecay", () => new SGD(ps(), { lr: 0.1, weightDecay: Number.NaN }), /SGD: invalid weightDecay NaN/],
    ["SGD nesterov without momentum", () => new SGD(ps(), { lr: 0.1, nesterov: true }), /nesterov requires momentum/],
    [
      "SGD nesterov with dampening",
      () => new SGD(ps(), { lr: 0.1, nesterov: true, momentum: 0.9, dampening: 0.1 }),
      /nesterov requires momentum > 0 and dampening = 0/,
    ],
    [
      "SGD snake_case option",
      () => new SGD(ps(), { lr: 0.1, weight_decay: 0.1 } as never),
      /unknown option "weight_decay"/,
    ],
    ["RMSprop negative alpha", () => new RMSprop(ps(), { alpha: -0.9 }), /RMSprop: invalid alpha -0\.9/],
    ["RMSprop NaN alpha", () => new RMSprop(ps(), { alpha: Number.NaN }), /RMSprop: invalid alpha NaN/],
    ["RMSprop negative eps", () => new RMSprop(ps(), { eps: -1e-8 }), /RMSprop: invalid eps -1e-8/],
    ["RMSprop Infinity momentum", () => new RMSprop(ps(), { momentum: Number.POSITIVE_INFINITY }), /invalid momentum/],
    ["RMSprop negative weightDecay", () => new RMSprop(ps(), { weightDecay: -1 }), /RMSprop: invalid weightDecay -1/],
    ["Adam beta1 = 1", () => new Adam(ps(), { betas: [1, 0.999] }), /Adam: invalid betas\[0\] 1/],
    ["Adam negative beta2", () => new Adam(ps(), { betas: [0.9, -0.1] }), /Adam: invalid betas\[1\] -0\.1/],
    ["Adam NaN eps", () => new Adam(ps(), { eps: Number.NaN }), /Adam: invalid eps NaN/],
    ["Adam negative lr", () => new Adam(ps(), { lr: -1e-3 }), /Adam: invalid lr -0\.001/],
    ["Adam negative weightDecay", () => new Adam(ps(), { weightDecay: -0.1 }), /Adam: invalid weightDecay -0\.1/],
    [
      "AdamW Infinity weightDecay",
      () => new AdamW(ps(), { weightDecay: Number.POSITIVE_INFINITY }),
      /AdamW: invalid weightDecay/,
    ],
    ["bad value in a group override", () => new Adam([{ params: ps(), lr: Number.NaN }]), /Adam: invalid lr NaN/],
    ["empty parameter list", () => new SGD([], { lr: 0.1 }), /SGD: got an empty parameter list/],
    ["a single tensor instead of a list", () => new SGD(ps()[0] as never, { lr: 0.1 }), /iterable of Tensors/],
    ["a number among the params", () => new Adam([ps()[0]!, 3] as never), /Adam: parameter 1 is number 3/],
    [
      "a tensor that does not require grad",
      () => new Adam([tensor([1, 2])]),
      /Adam: parameter 0 of shape \[2\] does not require grad/,
    ],
    ["a non-leaf tensor", () => new Adam([ps()[0]!.mul(2)]), /Adam: parameter 0 of shape \[3\] is not a leaf/],
  ];
  for (const [name, fn, message] of cases) {
    it(`throws ArgumentError for ${name}`, () => {
      expect(fn).toThrow(ArgumentError);
      expect(fn).toThrow(message);
    });
  }

  it("a parameter in two groups is an error", () => {
    const params = makeParams();
    expect(() => new SGD([{ params: [params[0]!, params[1]!] }, { params: [params[1]!] }], { lr: 0.1 })).toThrow(
      /appears more than once/,
    );
    expect(() => new SGD([params[0]!, params[0]!], { lr: 0.1 })).toThrow(ArgumentError);
  });

  it("valid edge values are accepted (lr 0, momentum 0, betas 0)", () => {
    expect(() => new SGD(makeParams(), { lr: 0 })).not.toThrow();
    expect(() => new Adam(makeParams(), { betas: [0, 0] })).not.toThrow();
  });
});
