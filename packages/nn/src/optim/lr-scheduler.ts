import { ArgumentError } from "@typegrad/tensor";
import { describe, fmtValue, Optimizer } from "./optimizer.js";

/** A scheduler snapshot: plain numbers (and nested snapshots for {@link SequentialLR}). */
export interface SchedulerStateDict {
  lastEpoch: number;
  stepCount: number;
  baseLrs: number[];
  lastLr: number[];
  [key: string]: unknown;
}

function checkPositiveInt(op: string, option: string, v: unknown): void {
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) {
    throw new ArgumentError(`${op}: invalid ${option} ${fmtValue(v)}; expected a positive integer`);
  }
}

function checkFinite(op: string, option: string, v: unknown, min = Number.NEGATIVE_INFINITY): void {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min) {
    throw new ArgumentError(`${op}: invalid ${option} ${fmtValue(v)}; expected a finite number >= ${min}`);
  }
}

/** Checks a scheduler's arguments before anything (the optimizer's groups included) is touched. */
function checkArgs(op: string, optimizer: unknown, opts: unknown, required: boolean): void {
  if (!(optimizer instanceof Optimizer)) {
    throw new ArgumentError(`${op}: expected an Optimizer, got ${describe(optimizer)}`);
  }
  if (
    (opts === undefined && required) ||
    (opts !== undefined && (opts === null || typeof opts !== "object" || Array.isArray(opts)))
  ) {
    throw new ArgumentError(`${op}: expected an options object, got ${describe(opts)}`);
  }
}

/** Checks the fields every scheduler snapshot has, for `groups` parameter groups. */
function checkBaseState(op: string, sd: SchedulerStateDict, groups: number): void {
  if (sd === null || typeof sd !== "object" || Array.isArray(sd)) {
    throw new ArgumentError(`${op}: expected a scheduler state dict, got ${describe(sd)}`);
  }
  if (!Number.isInteger(sd.lastEpoch) || sd.lastEpoch < -1) {
    throw new ArgumentError(`${op}: invalid lastEpoch ${fmtValue(sd.lastEpoch)}; expected an integer >= -1`);
  }
  if (!Number.isInteger(sd.stepCount) || sd.stepCount < 0) {
    throw new ArgumentError(`${op}: invalid stepCount ${fmtValue(sd.stepCount)}; expected an integer >= 0`);
  }
  for (const key of ["baseLrs", "lastLr"] as const) {
    const v = sd[key] as unknown;
    if (
      !Array.isArray(v) ||
      v.length !== groups ||
      v.some((x) => typeof x !== "number" || !Number.isFinite(x) || x < 0)
    ) {
      throw new ArgumentError(
        `${op}: invalid ${key} ${fmtValue(v)}; expected ${groups} finite learning rate${groups === 1 ? "" : "s"} >= 0 (one per parameter group)`,
      );
    }
  }
}

/**
 * Base class of learning-rate schedulers (PyTorch's `LRScheduler`). Construction records each
 * group's `initialLr` (once per optimizer) as `baseLrs` and performs the initial step (epoch 0);
 * each `step()` advances `lastEpoch` and writes the new `lr` into every parameter group.
 *
 * @example
 * ```ts
 * const sched = new StepLR(opt, { stepSize: 10 });
 * for (let epoch = 0; epoch < 30; epoch++) { train(); opt.step(); sched.step(); }
 * ```
 */
export abstract class LRScheduler {
  readonly optimizer: Optimizer;
  /** The learning rates the schedule starts from (each group's `initialLr`). */
  baseLrs: number[];
  /** Number of `step()` calls since construction minus one (0 right after construction). */
  lastEpoch = -1;
  protected stepCount = 0;
  protected lastLr: number[] = [];
  /** Name used in error messages. */
  readonly name: string;

  constructor(name: string, optimizer: Optimizer) {
    this.name = name;
    if (!(optimizer instanceof Optimizer)) {
      throw new ArgumentError(`${name}: expected an Optimizer, got ${describe(optimizer)}`);
    }
    this.optimizer = optimizer;
    for (const g of optimizer.paramGroups) if (g.initialLr === undefined) g.initialLr = g.lr;
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr as number);
  }

  /** The learning rates for `lastEpoch`, computed from the groups' current `lr` (recursive form). */
  protected abstract computeLr(): number[];

  /** The learning rates for `lastEpoch` computed directly from `baseLrs`, when the schedule has one. */
  protected closedFormLr(): number[] | null {
    return null;
  }

  /** Performs the construction-time step to epoch 0 (subclasses call it once their fields are set). */
  protected initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  private apply(lrs: number[]): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = lrs[i] as number;
    });
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /**
   * Advances the schedule by one step and sets each group's `lr`.
   *
   * @example
   * ```ts
   * opt.step(); sched.step(); sched.getLastLr(); // [current lr per group]
   * ```
   */
  step(): void {
    this.stepCount++;
    this.lastEpoch++;
    this.apply(this.computeLr());
  }

  /**
   * Internal (used by {@link SequentialLR}): jumps to `epoch`, using the closed form when the
   * schedule has one (like torch's deprecated `step(epoch)`).
   */
  stepTo(epoch: number): void {
    this.stepCount++;
    this.lastEpoch = epoch;
    this.apply(this.closedFormLr() ?? this.computeLr());
  }

  /** Internal (used by {@link SequentialLR}): undoes the construction-time step's epoch count. */
  undoInitialStep(): void {
    this.lastEpoch -= 1;
  }

  /** The learning rates the last `step()` set, one per parameter group. @example `sched.getLastLr(); // [0.1]` */
  getLastLr(): number[] {
    return this.lastLr.slice();
  }

  /** A copy of the scheduler's progress and settings. @example `const sd = sched.stateDict();` */
  stateDict(): SchedulerStateDict {
    return {
      lastEpoch: this.lastEpoch,
      stepCount: this.stepCount,
      baseLrs: this.baseLrs.slice(),
      lastLr: this.lastLr.slice(),
    };
  }

  /** Restores `stateDict()` output (the optimizer's `lr`s come from the optimizer's own state dict). */
  loadStateDict(sd: SchedulerStateDict): void {
    this.checkStateDict(`${this.name}.loadStateDict`, sd);
    this.lastEpoch = sd.lastEpoch;
    this.stepCount = sd.stepCount;
    this.baseLrs = sd.baseLrs.slice();
    this.lastLr = sd.lastLr.slice();
  }

  /** Throws unless `sd` is a valid snapshot of this scheduler (checked before anything is restored). */
  protected checkStateDict(op: string, sd: SchedulerStateDict): void {
    checkBaseState(op, sd, this.optimizer.paramGroups.length);
  }

  protected groupLrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }
}

/**
 * Multiplies the learning rate by `gamma` every `stepSize` steps.
 *
 * @example
 * ```ts
 * const sched = new StepLR(opt, { stepSize: 30, gamma: 0.1 }); // lr 0.1 → 0.01 at step 30
 * ```
 */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;

  constructor(optimizer: Optimizer, opts: { stepSize: number; gamma?: number }) {
    checkArgs("StepLR", optimizer, opts, true);
    const { stepSize, gamma = 0.1 } = opts;
    checkPositiveInt("StepLR", "stepSize", stepSize);
    checkFinite("StepLR", "gamma", gamma, 0);
    super("StepLR", optimizer);
    this.stepSize = stepSize;
    this.gamma = gamma;
    this.initialStep();
  }

  protected computeLr(): number[] {
    const lrs = this.groupLrs();
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return lrs;
    return lrs.map((lr) => lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }

  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), stepSize: this.stepSize, gamma: this.gamma };
  }

  protected override checkStateDict(op: string, sd: SchedulerStateDict): void {
    super.checkStateDict(op, sd);
    checkPositiveInt(op, "stepSize", sd.stepSize);
    checkFinite(op, "gamma", sd.gamma, 0);
  }

  override loadStateDict(sd: SchedulerStateDict): void {
    super.loadStateDict(sd);
    this.stepSize = sd.stepSize as number;
    this.gamma = sd.gamma as number;
  }
}

/**
 * Cosine annealing from each group's initial lr down to `etaMin` over `tMax` steps, in PyTorch's
 * recursive form (each lr is computed from the previous one, so manual lr changes carry over);
 * without outside changes it equals `etaMin + (base - etaMin) * (1 + cos(pi * t / tMax)) / 2`.
 *
 * @example
 * ```ts
 * const sched = new CosineAnnealingLR(opt, { tMax: 100, etaMin: 1e-5 });
 * ```
 */
export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;

  constructor(optimizer: Optimizer, opts: { tMax: number; etaMin?: number }) {
    checkArgs("CosineAnnealingLR", optimizer, opts, true);
    const { tMax, etaMin = 0 } = opts;
    checkPositiveInt("CosineAnnealingLR", "tMax", tMax);
    checkFinite("CosineAnnealingLR", "etaMin", etaMin, 0);
    super("CosineAnnealingLR", optimizer);
    this.tMax = tMax;
    this.etaMin = etaMin;
    this.initialStep();
  }

  protected computeLr(): number[] {
    const { lastEpoch: t, tMax: T, etaMin } = this;
    const lrs = this.groupLrs();
    if (t === 0) return lrs;
    if (this.stepCount === 1 && t > 0) {
      return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((t * Math.PI) / T))) / 2);
    }
    const m = 2 * T;
    if ((((t - 1 - T) % m) + m) % m === 0) {
      return lrs.map((lr, i) => lr + ((this.baseLrs[i]! - etaMin) * (1 - Math.cos(Math.PI / T))) / 2);
    }
    const ratio = (1 + Math.cos((Math.PI * t) / T)) / (1 + Math.cos((Math.PI * (t - 1)) / T));
    return lrs.map((lr) => ratio * (lr - etaMin) + etaMin);
  }

  protected override closedFormLr(): number[] {
    const { lastEpoch: t, tMax: T, etaMin } = this;
    return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((Math.PI * t) / T))) / 2);
  }

  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), tMax: this.tMax, etaMin: this.etaMin };
  }

  protected override checkStateDict(op: string, sd: SchedulerStateDict): void {
    super.checkStateDict(op, sd);
    checkPositiveInt(op, "tMax", sd.tMax);
    checkFinite(op, "etaMin", sd.etaMin, 0);
  }

  override loadStateDict(sd: SchedulerStateDict): void {
    super.loadStateDict(sd);
    this.tMax = sd.tMax as number;
    this.etaMin = sd.etaMin as number;
  }
}

function checkLinearFactors(op: string, startFactor: unknown, endFactor: unknown, totalIters: unknown): void {
  if (typeof startFactor !== "number" || !(startFactor > 0 && startFactor <= 1)) {
    throw new ArgumentError(`${op}: invalid startFactor ${fmtValue(startFactor)}; expected a number in (0, 1]`);
  }
  if (typeof endFactor !== "number" || !(endFactor >= 0 && endFactor <= 1)) {
    throw new ArgumentError(`${op}: invalid endFactor ${fmtValue(endFactor)}; expected a number in [0, 1]`);
  }
  checkPositiveInt(op, "totalIters", totalIters);
}

/**
 * Scales the learning rate linearly from `startFactor * lr` to `endFactor * lr` over `totalIters`
 * steps, then keeps it (PyTorch's recursive form). Construction already applies `startFactor`.
 *
 * @example
 * ```ts
 * const warmup = new LinearLR(opt, { startFactor: 0.1, totalIters: 10 });
 * ```
 */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;

  constructor(optimizer: Optimizer, opts: { startFactor?: number; endFactor?: number; totalIters?: number } = {}) {
    checkArgs("LinearLR", optimizer, opts, false);
    const { startFactor = 1 / 3, endFactor = 1, totalIters = 5 } = opts;
    checkLinearFactors("LinearLR", startFactor, endFactor, totalIters);
    super("LinearLR", optimizer);
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = totalIters;
    this.initialStep();
  }

  protected computeLr(): number[] {
    const { lastEpoch: t, startFactor: s, endFactor: e, totalIters: n } = this;
    const lrs = this.groupLrs();
    if (t === 0) return lrs.map((lr) => lr * s);
    if (t > n) return lrs;
    const factor = 1 + (e - s) / (n * s + (t - 1) * (e - s));
    return lrs.map((lr) => lr * factor);
  }

  protected override closedFormLr(): number[] {
    const { lastEpoch: t, startFactor: s, endFactor: e, totalIters: n } = this;
    return this.baseLrs.map((b) => b * (s + ((e - s) * Math.min(n, t)) / n));
  }

  override stateDict(): SchedulerStateDict {
    return {
      ...super.stateDict(),
      startFactor: this.startFactor,
      endFactor: this.endFactor,
      totalIters: this.totalIters,
    };
  }

  protected override checkStateDict(op: string, sd: SchedulerStateDict): void {
    super.checkStateDict(op, sd);
    checkLinearFactors(op, sd.startFactor, sd.endFactor, sd.totalIters);
  }

  override loadStateDict(sd: SchedulerStateDict): void {
    super.loadStateDict(sd);
    this.startFactor = sd.startFactor as number;
    this.endFactor = sd.endFactor as number;
    this.totalIters = sd.totalIters as number;
  }
}

/**
 * Runs `schedulers` one after another: the i-th takes over at step `milestones[i - 1]`, restarting
 * from its own epoch 0 (so a decay schedule starts from the initial lr). Like torch, construction
 * resets the groups to their initial lr and re-runs only the first scheduler's initial step.
 *
 * @example
 * ```ts
 * const warmup = new LinearLR(opt, { startFactor: 0.1, totalIters: 5 });
 * const decay = new CosineAnnealingLR(opt, { tMax: 95 });
 * const sched = new SequentialLR(opt, { schedulers: [warmup, decay], milestones: [5] });
 * ```
 */
export class SequentialLR extends LRScheduler {
  readonly schedulers: LRScheduler[];
  readonly milestones: number[];

  constructor(optimizer: Optimizer, opts: { schedulers: LRScheduler[]; milestones: number[] }) {
    checkArgs("SequentialLR", optimizer, opts, true);
    const { schedulers, milestones } = opts;
    if (!Array.isArray(schedulers) || schedulers.length === 0) {
      throw new ArgumentError(`SequentialLR: expected a non-empty array of schedulers, got ${describe(schedulers)}`);
    }
    schedulers.forEach((s, i) => {
      if (!(s instanceof LRScheduler)) {
        throw new ArgumentError(`SequentialLR: schedulers[${i}] is ${describe(s)}, expected an LRScheduler`);
      }
      if (s.optimizer !== optimizer) {
        throw new ArgumentError(
          `SequentialLR: schedulers[${i}] (${s.name}) is bound to a different optimizer than the one passed in`,
        );
      }
    });
    if (!Array.isArray(milestones) || milestones.length !== schedulers.length - 1) {
      throw new ArgumentError(
        `SequentialLR: expected ${schedulers.length - 1} milestones for ${schedulers.length} schedulers, got ${describe(milestones)}`,
      );
    }
    milestones.forEach((m, i) => {
      checkPositiveInt("SequentialLR", `milestones[${i}]`, m);
      if (i > 0 && m <= milestones[i - 1]!) {
        throw new ArgumentError(`SequentialLR: milestones must increase, got ${JSON.stringify(milestones)}`);
      }
    });
    super("SequentialLR", optimizer);
    this.schedulers = schedulers.slice();
    this.milestones = milestones.slice();
    this.lastEpoch = 0;
    for (const g of optimizer.paramGroups) g.lr = g.initialLr as number;
    this.undoInitialStep();
    const first = this.schedulers[0]!;
    (first as unknown as { initialStep(): void }).initialStep();
    this.lastLr = first.getLastLr();
  }

  protected computeLr(): number[] {
    return this.groupLrs();
  }

  override undoInitialStep(): void {
    for (const s of this.schedulers) s.undoInitialStep();
  }

  override step(): void {
    this.stepCount++;
    this.lastEpoch++;
    let idx = 0;
    while (idx < this.milestones.length && this.milestones[idx]! <= this.lastEpoch) idx++;
    const s = this.schedulers[idx]!;
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) s.stepTo(0);
    else s.step();
    this.lastLr = s.getLastLr();
  }

  override stepTo(_epoch: number): void {
    throw new ArgumentError("SequentialLR: jumping to an epoch is not supported; call step()");
  }

  override stateDict(): SchedulerStateDict {
    return {
      ...super.stateDict(),
      milestones: this.milestones.slice(),
      schedulers: this.schedulers.map((s) => s.stateDict()),
    };
  }

  protected override checkStateDict(op: string, sd: SchedulerStateDict): void {
    super.checkStateDict(op, sd);
    const subs = sd.schedulers;
    if (!Array.isArray(subs) || subs.length !== this.schedulers.length) {
      throw new ArgumentError(`${op}: expected ${this.schedulers.length} scheduler state dicts, got ${describe(subs)}`);
    }
    const ms = sd.milestones as unknown;
    if (
      !Array.isArray(ms) ||
      ms.length !== this.milestones.length ||
      ms.some((m, i) => !Number.isInteger(m) || m <= 0 || (i > 0 && m <= ms[i - 1]))
    ) {
      throw new ArgumentError(
        `${op}: invalid milestones ${fmtValue(ms)}; expected ${this.milestones.length} increasing positive integers`,
      );
    }
    this.schedulers.forEach((s, i) => {
      (s as unknown as { checkStateDict(op: string, sd: SchedulerStateDict): void }).checkStateDict(
        `${op} (schedulers[${i}])`,
        subs[i] as SchedulerStateDict,
      );
    });
  }

  override loadStateDict(sd: SchedulerStateDict): void {
    super.loadStateDict(sd);
    const subs = sd.schedulers as SchedulerStateDict[];
    this.milestones.splice(0, this.milestones.length, ...(sd.milestones as number[]));
    this.schedulers.forEach((s, i) => {
      s.loadStateDict(subs[i] as SchedulerStateDict);
    });
  }
}

/**
 * Linear warmup then cosine decay: the lr rises linearly from `lr / (warmupSteps + 1)` to `lr` at
 * step `warmupSteps` (`startFactor` overrides the first factor), then anneals to `etaMin` at step
 * `totalSteps`. Built from {@link LinearLR} and {@link CosineAnnealingLR} via {@link SequentialLR}.
 *
 * @example
 * ```ts
 * const sched = warmupCosine(opt, { warmupSteps: 100, totalSteps: 1000 });
 * for (let i = 0; i < 1000; i++) { trainStep(); opt.step(); sched.step(); }
 * ```
 */
export function warmupCosine(
  optimizer: Optimizer,
  {
    warmupSteps,
    totalSteps,
    etaMin = 0,
    startFactor,
  }: { warmupSteps: number; totalSteps: number; etaMin?: number; startFactor?: number },
): LRScheduler {
  if (typeof warmupSteps !== "number" || !Number.isInteger(warmupSteps) || warmupSteps < 0) {
    throw new ArgumentError(`warmupCosine: invalid warmupSteps ${fmtValue(warmupSteps)}; expected an integer >= 0`);
  }
  if (typeof totalSteps !== "number" || !Number.isInteger(totalSteps) || totalSteps <= warmupSteps) {
    throw new ArgumentError(
      `warmupCosine: invalid totalSteps ${fmtValue(totalSteps)}; expected an integer > warmupSteps (${warmupSteps})`,
    );
  }
  if (warmupSteps === 0) return new CosineAnnealingLR(optimizer, { tMax: totalSteps, etaMin });
  const warmup = new LinearLR(optimizer, {
    startFactor: startFactor ?? 1 / (warmupSteps + 1),
    endFactor: 1,
    totalIters: warmupSteps,
  });
  const decay = new CosineAnnealingLR(optimizer, { tMax: totalSteps - warmupSteps, etaMin });
  return new SequentialLR(optimizer, { schedulers: [warmup, decay], milestones: [warmupSteps] });
}
