/**
 * Training checkpoints: model weights, optimizer state, scheduler progress, a random generator's state,
 * a step count and free-form JSON in ONE safetensors file, restored so that training resumes bit for bit.
 *
 * Layout (any safetensors reader can open the file):
 *
 * ```text
 * model.<name>                      every parameter, as model.stateDict() names it
 * optimizer.state.<index>.<key>     optimizer buffers (expAvg, momentumBuffer, ...), index as in opt.stateDict()
 * __metadata__                      string -> string:
 *   format               "pt"
 *   typegrad.checkpoint  "1" (the layout version)
 *   optimizer            JSON: { name, paramShapes, paramGroups, state: { index: { key: number } } }
 *   scheduler            JSON: { kind: { name, children? }, state: scheduler.stateDict() }
 *   rng                  JSON: rng.getState()
 *   step, extra          JSON
 * ```
 *
 * Numbers JSON cannot hold exactly (NaN, ±Infinity, -0) are written as `{"$float": "NaN"}` and so on;
 * every other double survives JSON unchanged (shortest round-trip printing), so nothing is rounded.
 *
 * Restoring checks the whole checkpoint against the targets (names, shapes and dtypes of the weights and
 * optimizer buffers, the optimizer's and scheduler's kinds, group and parameter counts, the RNG words)
 * and throws one `CheckpointError` listing every problem before anything is changed. The optimizer's
 * own option checks run while applying; if one fails, everything already applied is rolled back.
 *
 * The core functions use no Node API; `saveCheckpoint`/`loadCheckpoint` use `node:fs/promises`, and
 * `saveCheckpoint` writes atomically through `saveSafetensors` (temporary file, then rename).
 * @module
 */
import { Tensor } from "@typegrad/autograd";
import { fmtShape, getDefaultRng, NDArray, Rng, shapesEqual } from "@typegrad/tensor";
import { Module } from "./module.js";
import { LRScheduler, type SchedulerStateDict, SequentialLR } from "./optim/lr-scheduler.js";
import { Optimizer, type OptimizerStateDict, type ParamState } from "./optim/optimizer.js";
import {
  parseSafetensorsWithMetadata,
  SafetensorsError,
  saveSafetensors,
  serializeSafetensors,
} from "./safetensors.js";

/** A checkpoint that cannot be written, is not a typegrad checkpoint, or does not fit what it is loaded into. */
export class CheckpointError extends TypeError {
  override name = "CheckpointError";
}

/** The value of the `typegrad.checkpoint` metadata entry this version writes and reads. */
export const CHECKPOINT_VERSION = "1";

const VERSION_KEY = "typegrad.checkpoint";
const MODEL_PREFIX = "model.";
const OPTIMIZER_PREFIX = "optimizer.state.";
const FLOAT_TAG = "$float";

/** What `saveCheckpoint` stores. Only `model` is required. */
export interface CheckpointState {
  model: Module;
  optimizer?: Optimizer;
  /** Must be bound to `optimizer`. */
  scheduler?: LRScheduler;
  /** A generator whose state to store; `"default"` is the one `manualSeed` seeds (dropout, `rand`, ...). */
  rng?: Rng | "default";
  /** The training step (or epoch) reached, returned by `loadCheckpoint`. */
  step?: number;
  /** Any JSON-serializable value (data-loader position, config, ...), returned by `loadCheckpoint`. */
  extra?: unknown;
}

/** What `loadCheckpoint` restores into. The checkpoint must hold a section for each target given. */
export interface CheckpointTargets {
  model: Module;
  optimizer?: Optimizer;
  scheduler?: LRScheduler;
  rng?: Rng | "default";
  /** Whether the weights' names must match the model's exactly (default true), as in `loadStateDict`. */
  strict?: boolean;
}

/** A scheduler's kind: its name, and for `SequentialLR` the kinds of the schedulers it runs. */
export interface SchedulerKind {
  name: string;
  children?: SchedulerKind[];
}

/** A decoded checkpoint (what `parseCheckpoint` returns): plain data, not yet applied to anything. */
export interface Checkpoint {
  /** Weights by the model's parameter names (without the `model.` prefix). */
  model: Record<string, NDArray>;
  optimizer?: { name: string; paramShapes: number[][]; stateDict: OptimizerStateDict };
  scheduler?: { kind: SchedulerKind; stateDict: SchedulerStateDict };
  rng?: { s: number[]; spare: number | null };
  step?: number;
  extra?: unknown;
}

/** What restoring returns: the saved step and extra value (undefined when none were saved). */
export interface RestoredCheckpoint {
  step: number | undefined;
  extra: unknown;
}

// ---------------------------------------------------------------------------------------------------
// Writing

/**
 * The checkpoint as a state dict of tensors plus safetensors metadata. Everything is copied now,
 * synchronously, so training may go on while the bytes are written.
 */
function contents(
  op: string,
  state: CheckpointState,
): {
  tensors: Record<string, NDArray>;
  metadata: Record<string, string>;
} {
  if (state === null || typeof state !== "object") {
    throw new CheckpointError(
      `${op}: expected { model, optimizer?, scheduler?, rng?, step?, extra? }, got ${describe(state)}`,
    );
  }
  const known = ["model", "optimizer", "scheduler", "rng", "step", "extra"];
  for (const k of Object.keys(state)) {
    if (!known.includes(k))
      throw new CheckpointError(`${op}: unknown field "${k}"; expected one of ${known.join(", ")}`);
  }
  const { model, optimizer, scheduler, rng, step, extra } = state;
  if (!(model instanceof Module)) throw new CheckpointError(`${op}: model must be a Module, got ${describe(model)}`);
  if (optimizer !== undefined && !(optimizer instanceof Optimizer)) {
    throw new CheckpointError(`${op}: optimizer must be an Optimizer, got ${describe(optimizer)}`);
  }
  if (scheduler !== undefined) {
    if (!(scheduler instanceof LRScheduler)) {
      throw new CheckpointError(`${op}: scheduler must be an LRScheduler, got ${describe(scheduler)}`);
    }
    if (optimizer === undefined || scheduler.optimizer !== optimizer) {
      throw new CheckpointError(
        `${op}: the scheduler (${scheduler.name}) is bound to ${optimizer === undefined ? "an optimizer that was not passed" : "a different optimizer than the one passed"}; pass its optimizer too, since the learning rates live in the optimizer's state`,
      );
    }
  }
  const generator = resolveRng(op, rng);
  if (step !== undefined && !(typeof step === "number" && Number.isSafeInteger(step) && step >= 0)) {
    throw new CheckpointError(`${op}: step must be an integer >= 0, got ${describe(step)}`);
  }

  const tensors: Record<string, NDArray> = {};
  for (const [name, value] of Object.entries(model.stateDict())) tensors[`${MODEL_PREFIX}${name}`] = value;
  const metadata: Record<string, string> = { format: "pt", [VERSION_KEY]: CHECKPOINT_VERSION };

  if (optimizer) {
    const sd = optimizer.stateDict();
    const params = optimizer.paramGroups.flatMap((g) => g.params);
    const numbers: Record<string, Record<string, number>> = {};
    for (const [index, entry] of Object.entries(sd.state)) {
      for (const [key, v] of Object.entries(entry)) {
        if (v instanceof NDArray) tensors[`${OPTIMIZER_PREFIX}${index}.${key}`] = v;
        else {
          const entry = numbers[index] ?? {};
          entry[key] = v;
          numbers[index] = entry;
        }
      }
    }
    metadata.optimizer = toJson(op, "optimizer state", {
      name: optimizer.name,
      paramShapes: params.map((p) => p.shape),
      paramGroups: sd.paramGroups,
      state: numbers,
    });
  }
  if (scheduler) {
    metadata.scheduler = toJson(op, "scheduler state", { kind: kindOf(scheduler), state: scheduler.stateDict() });
  }
  if (generator) metadata.rng = toJson(op, "rng state", generator.getState());
  if (step !== undefined) metadata.step = toJson(op, "step", step);
  if (extra !== undefined) metadata.extra = toJson(op, "extra", extra);
  return { tensors, metadata };
}

/**
 * The checkpoint as safetensors bytes (no Node API; see `saveCheckpoint` for the layout).
 *
 * @example
 * ```ts
 * const bytes = serializeCheckpoint({ model, optimizer: opt, scheduler: sched, rng: "default", step: 100 });
 * ```
 */
export function serializeCheckpoint(state: CheckpointState): Uint8Array {
  const { tensors, metadata } = contents("serializeCheckpoint", state);
  return serializeSafetensors(tensors, metadata);
}

/**
 * Saves model weights, optimizer state, scheduler progress, an RNG's state, the step and `extra` to one
 * safetensors file (Node only). The state is captured when called; the file is written to a temporary
 * file in the same folder and renamed over `path`, so a crash mid-write leaves the previous checkpoint.
 *
 * @example
 * ```ts
 * await saveCheckpoint("run/ckpt.safetensors", { model, optimizer: opt, scheduler: sched, rng: "default", step });
 * ```
 */
export async function saveCheckpoint(path: string, state: CheckpointState): Promise<void> {
  const { tensors, metadata } = contents("saveCheckpoint", state);
  await saveSafetensors(path, tensors, metadata);
}

// ---------------------------------------------------------------------------------------------------
// Reading

/**
 * Decodes checkpoint bytes into plain data and checks their structure (no Node API, nothing applied).
 * Throws `SafetensorsError` for a malformed file and `CheckpointError` for one that is not a valid
 * typegrad checkpoint.
 *
 * @example
 * ```ts
 * const ckpt = parseCheckpoint(bytes);
 * ckpt.step; // 100
 * restoreCheckpoint(ckpt, { model, optimizer: opt });
 * ```
 */
export function parseCheckpoint(bytes: Uint8Array): Checkpoint {
  const op = "parseCheckpoint";
  const { tensors, metadata } = parseSafetensorsWithMetadata(bytes);
  const version = metadata?.[VERSION_KEY];
  if (version === undefined) {
    throw new CheckpointError(
      `${op}: not a typegrad checkpoint (no "${VERSION_KEY}" metadata entry); for a plain weights file use loadSafetensors and model.loadStateDict`,
    );
  }
  if (version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(
      `${op}: checkpoint layout version ${JSON.stringify(version)} is not supported (this typegrad reads version ${CHECKPOINT_VERSION})`,
    );
  }
  const meta = metadata as Record<string, string>;
  const out: Checkpoint = { model: {} };
  const optimizerTensors: [number, string, NDArray][] = [];
  for (const [name, value] of Object.entries(tensors)) {
    if (name.startsWith(MODEL_PREFIX)) {
      define(out.model, name.slice(MODEL_PREFIX.length), value);
      continue;
    }
    const m = name.startsWith(OPTIMIZER_PREFIX)
      ? /^(0|[1-9]\d{0,8})\.(.+)$/s.exec(name.slice(OPTIMIZER_PREFIX.length))
      : null;
    if (!m) {
      throw new CheckpointError(
        `${op}: tensor ${JSON.stringify(name)} is neither "${MODEL_PREFIX}<name>" nor "${OPTIMIZER_PREFIX}<index>.<key>"`,
      );
    }
    optimizerTensors.push([Number(m[1]), m[2] as string, value]);
  }

  if (meta.optimizer !== undefined) {
    out.optimizer = parseOptimizer(op, fromJson(op, "optimizer", meta.optimizer), optimizerTensors);
  } else if (optimizerTensors.length > 0) {
    throw new CheckpointError(`${op}: the file has optimizer tensors but no "optimizer" metadata entry`);
  }
  if (meta.scheduler !== undefined) out.scheduler = parseScheduler(op, fromJson(op, "scheduler", meta.scheduler));
  if (meta.rng !== undefined) out.rng = parseRngState(op, fromJson(op, "rng", meta.rng));
  if (meta.step !== undefined) {
    const step = fromJson(op, "step", meta.step);
    if (!(typeof step === "number" && Number.isSafeInteger(step) && step >= 0)) {
      throw new CheckpointError(`${op}: "step" must be an integer >= 0, got ${describe(step)}`);
    }
    out.step = step;
  }
  if (meta.extra !== undefined) out.extra = fromJson(op, "extra", meta.extra);
  return out;
}

/**
 * Applies a decoded checkpoint to a model and, when given, an optimizer, a scheduler and an RNG. Every
 * target is checked against the checkpoint first; on any mismatch a `CheckpointError` lists all the
 * problems and nothing is changed.
 *
 * @example
 * ```ts
 * const { step } = restoreCheckpoint(parseCheckpoint(bytes), { model, optimizer: opt, rng: "default" });
 * ```
 */
export function restoreCheckpoint(checkpoint: Checkpoint, targets: CheckpointTargets): RestoredCheckpoint {
  const op = "loadCheckpoint";
  if (targets === null || typeof targets !== "object") {
    throw new CheckpointError(
      `${op}: expected targets { model, optimizer?, scheduler?, rng? }, got ${describe(targets)}`,
    );
  }
  const known = ["model", "optimizer", "scheduler", "rng", "strict"];
  for (const k of Object.keys(targets)) {
    if (!known.includes(k))
      throw new CheckpointError(`${op}: unknown target "${k}"; expected one of ${known.join(", ")}`);
  }
  const { model, optimizer, scheduler, strict = true } = targets;
  if (!(model instanceof Module)) throw new CheckpointError(`${op}: model must be a Module, got ${describe(model)}`);
  if (optimizer !== undefined && !(optimizer instanceof Optimizer)) {
    throw new CheckpointError(`${op}: optimizer must be an Optimizer, got ${describe(optimizer)}`);
  }
  if (scheduler !== undefined && !(scheduler instanceof LRScheduler)) {
    throw new CheckpointError(`${op}: scheduler must be an LRScheduler, got ${describe(scheduler)}`);
  }
  const rng = resolveRng(op, targets.rng);

  const problems: string[] = [];
  checkModel(checkpoint.model, model, strict, problems);
  if (optimizer) {
    if (checkpoint.optimizer) checkOptimizer(checkpoint.optimizer, optimizer, problems);
    else problems.push("an optimizer was given but the checkpoint holds no optimizer state");
  }
  if (scheduler) {
    if (!checkpoint.scheduler) problems.push("a scheduler was given but the checkpoint holds no scheduler state");
    else if (optimizer === undefined || scheduler.optimizer !== optimizer) {
      problems.push("the scheduler must be passed together with the optimizer it is bound to");
    } else checkScheduler(checkpoint.scheduler, scheduler, problems);
  }
  if (rng && !checkpoint.rng) problems.push("an rng was given but the checkpoint holds no rng state");
  if (problems.length > 0) {
    throw new CheckpointError(`${op}: the checkpoint does not fit: ${problems.join(" | ")}; nothing was loaded`);
  }

  // Everything checked. Apply; should an optimizer or scheduler reject a value, undo what was applied.
  const undo: (() => void)[] = [];
  try {
    if (optimizer && checkpoint.optimizer) {
      const before = optimizer.stateDict();
      optimizer.loadStateDict(checkpoint.optimizer.stateDict);
      undo.push(() => optimizer.loadStateDict(before));
    }
    if (scheduler && checkpoint.scheduler) {
      const before = scheduler.stateDict();
      scheduler.loadStateDict(structuredCopy(checkpoint.scheduler.stateDict));
      undo.push(() => scheduler.loadStateDict(before));
    }
    if (rng && checkpoint.rng) {
      const before = rng.getState();
      rng.setState({ s: checkpoint.rng.s.slice(), spare: checkpoint.rng.spare });
      undo.push(() => rng.setState(before));
    }
    model.loadStateDict(checkpoint.model, { strict });
  } catch (e) {
    for (const fn of undo.reverse()) {
      try {
        fn();
      } catch {
        // best effort: the snapshot came from the same object, so this does not fail in practice
      }
    }
    const message = e instanceof Error ? e.message : String(e);
    throw new CheckpointError(`${op}: ${message}; nothing was loaded`, { cause: e });
  }
  return { step: checkpoint.step, extra: structuredCopy(checkpoint.extra) };
}

/**
 * Restores a checkpoint file written by `saveCheckpoint` into a model and, when given, an optimizer,
 * a scheduler and an RNG (Node only). Validates the whole file against the targets before changing
 * anything. Returns the saved `step` and `extra`.
 *
 * @example
 * ```ts
 * const { step } = await loadCheckpoint("run/ckpt.safetensors", { model, optimizer: opt, scheduler: sched, rng: "default" });
 * ```
 */
export async function loadCheckpoint(path: string, targets: CheckpointTargets): Promise<RestoredCheckpoint> {
  const specifier = "node:fs/promises";
  const fs = (await import(/* @vite-ignore */ specifier)) as { readFile(p: string): Promise<Uint8Array> };
  const bytes = await fs.readFile(path);
  let checkpoint: Checkpoint;
  try {
    checkpoint = parseCheckpoint(bytes);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new SafetensorsError(`${path}: ${e.message}`);
    if (e instanceof CheckpointError) throw new CheckpointError(`${path}: ${e.message}`);
    throw e;
  }
  return restoreCheckpoint(checkpoint, targets);
}

// ---------------------------------------------------------------------------------------------------
// Checks

function checkModel(weights: Record<string, NDArray>, model: Module, strict: boolean, problems: string[]): void {
  const params = new Map(model.namedParameters("", { removeDuplicate: false }));
  const bad: string[] = [];
  for (const [name, p] of params) {
    if (!Object.hasOwn(weights, name)) continue;
    const w = weights[name] as NDArray;
    if (!shapesEqual(w.shape, p.shape))
      bad.push(`${name}: shape ${fmtShape(w.shape)} in the checkpoint, ${fmtShape(p.shape)} in the model`);
    else if (w.dtype !== p.dtype) {
      bad.push(
        `${name}: dtype ${w.dtype} in the checkpoint, ${p.dtype} in the model (convert with model.to("${w.dtype}") first)`,
      );
    }
  }
  if (bad.length) problems.push(`model weights mismatch: ${bad.join("; ")}`);
  if (strict) {
    const missing = [...params.keys()].filter((k) => !Object.hasOwn(weights, k));
    const unexpected = Object.keys(weights).filter((k) => !params.has(k));
    if (missing.length) problems.push(`model weights missing from the checkpoint: ${missing.join(", ")}`);
    if (unexpected.length) problems.push(`checkpoint weights the model does not have: ${unexpected.join(", ")}`);
  }
}

function checkOptimizer(saved: NonNullable<Checkpoint["optimizer"]>, optimizer: Optimizer, problems: string[]): void {
  if (saved.name !== optimizer.name) {
    problems.push(`the checkpoint holds ${saved.name} state but the optimizer is ${optimizer.name}`);
    return;
  }
  const groups = saved.stateDict.paramGroups;
  if (groups.length !== optimizer.paramGroups.length) {
    problems.push(
      `the checkpoint's optimizer has ${groups.length} parameter groups, the optimizer has ${optimizer.paramGroups.length}`,
    );
    return;
  }
  const params: Tensor[] = [];
  for (const [gi, g] of optimizer.paramGroups.entries()) {
    const n = (groups[gi] as { params: number[] }).params.length;
    if (n !== g.params.length) {
      problems.push(`optimizer group ${gi} has ${n} parameters in the checkpoint, ${g.params.length} in the optimizer`);
      return;
    }
    params.push(...g.params);
  }
  const bad: string[] = [];
  saved.paramShapes.forEach((shape, i) => {
    const p = params[i] as Tensor;
    if (!shapesEqual(shape, p.shape))
      bad.push(`parameter ${i}: shape ${fmtShape(shape)} in the checkpoint, ${fmtShape(p.shape)} in the optimizer`);
  });
  for (const [index, entry] of Object.entries(saved.stateDict.state)) {
    const p = params[Number(index)] as Tensor;
    for (const [key, v] of Object.entries(entry)) {
      if (v instanceof NDArray && shapesEqual(v.shape, p.shape) && v.dtype !== p.dtype) {
        bad.push(`parameter ${index} state "${key}": dtype ${v.dtype} in the checkpoint, ${p.dtype} in the optimizer`);
      }
    }
  }
  if (bad.length) problems.push(`optimizer state mismatch: ${bad.join("; ")}`);
}

function checkScheduler(saved: NonNullable<Checkpoint["scheduler"]>, scheduler: LRScheduler, problems: string[]): void {
  const want = kindOf(scheduler);
  if (fmtKind(saved.kind) !== fmtKind(want)) {
    problems.push(`the checkpoint holds ${fmtKind(saved.kind)} scheduler state but the scheduler is ${fmtKind(want)}`);
    return;
  }
  const groups = scheduler.optimizer.paramGroups.length;
  const walk = (sd: SchedulerStateDict, where: string): void => {
    for (const key of ["baseLrs", "lastLr"] as const) {
      if (sd[key].length !== groups) {
        problems.push(
          `${where}${key} has ${sd[key].length} entries in the checkpoint but the optimizer has ${groups} groups`,
        );
      }
    }
    if (Array.isArray(sd.schedulers))
      (sd.schedulers as SchedulerStateDict[]).forEach((s, i) => walk(s, `${where}schedulers[${i}].`));
  };
  walk(saved.stateDict, "scheduler ");
}

// ---------------------------------------------------------------------------------------------------
// Decoding the metadata

function parseOptimizer(
  op: string,
  raw: unknown,
  tensors: [number, string, NDArray][],
): NonNullable<Checkpoint["optimizer"]> {
  const fail = (what: string): never => {
    throw new CheckpointError(`${op}: "optimizer" metadata ${what}`);
  };
  if (!isPlainObject(raw)) return fail(`must be an object, got ${describe(raw)}`);
  const { name, paramShapes, paramGroups, state } = raw;
  if (typeof name !== "string") fail(`has no optimizer name`);
  if (!Array.isArray(paramShapes) || !paramShapes.every(isShape)) fail(`paramShapes must be an array of shapes`);
  const shapes = paramShapes as number[][];
  if (!Array.isArray(paramGroups) || !paramGroups.every(isPlainObject)) fail(`paramGroups must be an array of objects`);
  const seen = new Set<number>();
  for (const [gi, g] of (paramGroups as Record<string, unknown>[]).entries()) {
    const ids = g.params;
    if (!Array.isArray(ids)) fail(`group ${gi} has no params list`);
    for (const id of ids as unknown[]) {
      if (!(typeof id === "number" && Number.isInteger(id) && id >= 0 && id < shapes.length) || seen.has(id)) {
        fail(
          `group ${gi} lists parameter ${describe(id)}, which is out of range 0..${shapes.length - 1} or listed twice`,
        );
      }
      seen.add(id as number);
    }
  }
  if (seen.size !== shapes.length)
    fail(`paramGroups list ${seen.size} parameters but paramShapes has ${shapes.length}`);
  if (!isPlainObject(state)) return fail(`state must be an object`);
  const out: Record<number, ParamState> = {};
  for (const [index, entry] of Object.entries(state)) {
    if (!/^(0|[1-9]\d*)$/.test(index) || Number(index) >= shapes.length)
      fail(`state has unknown parameter index ${JSON.stringify(index)}`);
    if (!isPlainObject(entry)) return fail(`state for parameter ${index} must be an object`);
    const numbers: ParamState = {};
    for (const [key, v] of Object.entries(entry)) {
      if (typeof v !== "number") fail(`state "${key}" for parameter ${index} must be a number, got ${describe(v)}`);
      define(numbers, key, v as number);
    }
    define(out, index, numbers);
  }
  for (const [index, key, array] of tensors) {
    if (index >= shapes.length) {
      throw new CheckpointError(
        `${op}: optimizer tensor for parameter ${index}, but the optimizer has ${shapes.length} parameters`,
      );
    }
    const shape = shapes[index] as number[];
    if (!shapesEqual(array.shape, shape)) {
      throw new CheckpointError(
        `${op}: optimizer state "${key}" of parameter ${index} has shape ${fmtShape(array.shape)} but the parameter has shape ${fmtShape(shape)}`,
      );
    }
    const entry = out[index] ?? {};
    out[index] = entry;
    if (Object.hasOwn(entry, key))
      throw new CheckpointError(`${op}: optimizer state "${key}" of parameter ${index} is stored twice`);
    define(entry, key, array);
  }
  return {
    name: name as string,
    paramShapes: shapes,
    stateDict: { state: out, paramGroups: paramGroups as OptimizerStateDict["paramGroups"] },
  };
}

function parseScheduler(op: string, raw: unknown): NonNullable<Checkpoint["scheduler"]> {
  const fail = (where: string, what: string): never => {
    throw new CheckpointError(`${op}: "scheduler" metadata${where} ${what}`);
  };
  if (!isPlainObject(raw)) return fail("", `must be an object, got ${describe(raw)}`);
  const checkKind = (k: unknown, where: string): SchedulerKind => {
    if (!isPlainObject(k) || typeof k.name !== "string") return fail(where, "kind must be { name, children? }");
    if (k.children === undefined) return { name: k.name };
    if (!Array.isArray(k.children)) return fail(where, "kind children must be an array");
    return { name: k.name, children: k.children.map((c, i) => checkKind(c, `${where} children[${i}]`)) };
  };
  const kind = checkKind(raw.kind, "");
  const checkState = (s: unknown, k: SchedulerKind, where: string): SchedulerStateDict => {
    if (!isPlainObject(s)) return fail(where, `state must be an object, got ${describe(s)}`);
    for (const key of ["lastEpoch", "stepCount"]) {
      if (!(typeof s[key] === "number" && Number.isInteger(s[key])))
        fail(where, `${key} must be an integer, got ${describe(s[key])}`);
    }
    for (const key of ["baseLrs", "lastLr"]) {
      const v = s[key];
      if (!Array.isArray(v) || !v.every((x) => typeof x === "number"))
        fail(where, `${key} must be an array of numbers`);
    }
    if (k.children) {
      const subs = s.schedulers;
      if (!Array.isArray(subs) || subs.length !== k.children.length) {
        fail(where, `must hold ${k.children.length} nested scheduler states`);
      }
      const ms = s.milestones;
      if (!Array.isArray(ms) || ms.length !== k.children.length - 1 || !ms.every((m) => Number.isInteger(m) && m > 0)) {
        fail(where, `milestones must be ${k.children.length - 1} positive integers`);
      }
      (subs as unknown[]).forEach((sub, i) => {
        checkState(sub, k.children?.[i] as SchedulerKind, `${where} schedulers[${i}]`);
      });
    }
    return s as SchedulerStateDict;
  };
  return { kind, stateDict: checkState(raw.state, kind, "") };
}

function parseRngState(op: string, raw: unknown): NonNullable<Checkpoint["rng"]> {
  const words = isPlainObject(raw) ? raw.s : undefined;
  const spare = isPlainObject(raw) ? raw.spare : undefined;
  if (
    !Array.isArray(words) ||
    words.length !== 4 ||
    !words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff) ||
    words.every((w) => w === 0)
  ) {
    throw new CheckpointError(
      `${op}: "rng" metadata must hold 4 state words in 0..2^32-1, not all zero, got ${JSON.stringify(words)}`,
    );
  }
  if (spare !== null && !(typeof spare === "number" && Number.isFinite(spare))) {
    throw new CheckpointError(`${op}: "rng" metadata spare must be null or a finite number, got ${describe(spare)}`);
  }
  return { s: words as number[], spare: spare as number | null };
}

// ---------------------------------------------------------------------------------------------------
// Helpers

function resolveRng(op: string, rng: unknown): Rng | undefined {
  if (rng === undefined) return undefined;
  if (rng === "default") return getDefaultRng();
  if (rng instanceof Rng) return rng;
  throw new CheckpointError(`${op}: rng must be an Rng or "default", got ${describe(rng)}`);
}

function kindOf(s: LRScheduler): SchedulerKind {
  return s instanceof SequentialLR ? { name: s.name, children: s.schedulers.map(kindOf) } : { name: s.name };
}

function fmtKind(k: SchedulerKind): string {
  return k.children ? `${k.name}(${k.children.map(fmtKind).join(", ")})` : k.name;
}

/** JSON text; numbers JSON has no literal for become `{"$float": "NaN" | "Infinity" | "-Infinity" | "-0"}`. */
function toJson(op: string, what: string, value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === "number" && (!Number.isFinite(v) || Object.is(v, -0))) {
        return { [FLOAT_TAG]: Object.is(v, -0) ? "-0" : String(v) };
      }
      if (v instanceof NDArray || v instanceof Tensor) throw new Error("it holds an NDArray or Tensor");
      return v;
    });
  } catch (e) {
    throw new CheckpointError(`${op}: ${what} cannot be stored as JSON: ${(e as Error).message}`);
  }
  if (text === undefined) throw new CheckpointError(`${op}: ${what} cannot be stored as JSON (${describe(value)})`);
  return text;
}

function fromJson(op: string, what: string, text: string): unknown {
  try {
    return JSON.parse(text, (_key, v: unknown) => {
      if (isPlainObject(v)) {
        const keys = Object.keys(v);
        const tag = v[FLOAT_TAG];
        if (keys.length === 1 && typeof tag === "string" && ["NaN", "Infinity", "-Infinity", "-0"].includes(tag)) {
          return Number(tag);
        }
      }
      return v;
    });
  } catch (e) {
    throw new CheckpointError(`${op}: "${what}" metadata is not valid JSON (${(e as Error).message})`);
  }
}

/** A deep copy of JSON-like data (keeps -0, NaN and Infinity). */
function structuredCopy<T>(v: T): T {
  if (Array.isArray(v)) return v.map(structuredCopy) as T;
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) define(out, k, structuredCopy(x));
    return out as T;
  }
  return v;
}

/** Sets an own property even for keys like `__proto__`. */
function define(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof NDArray);
}

function isShape(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((d) => Number.isSafeInteger(d) && d >= 0);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (v instanceof Tensor) return `a Tensor of shape ${fmtShape(v.shape)}`;
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === "object") return `an object (${(v as object).constructor?.name ?? "null prototype"})`;
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  return `${typeof v} ${String(v)}`;
}
