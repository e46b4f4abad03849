/**
 * Anomaly mode: find the op that first made a NaN or an Infinity, like `torch.autograd.detect_anomaly`.
 *
 * When on, every recorded op's forward output and every gradient computed by backward are checked for
 * NaN and ±Infinity, and the first bad value throws an {@link AnomalyError} that names the op, the
 * shapes, what was found and where in your code the op was called. Off by default: the hooks in
 * `record()` and the backward engine stay `null` and cost one null check.
 *
 * @module
 */
import * as nd from "@typegrad/tensor";
import { ArgumentError, fmtShape, type NDArray } from "@typegrad/tensor";
import { type GradientCheckHook, setGradientCheckHook } from "./engine.js";
import { type Node, setNodeCreatedHook } from "./node.js";
import type { Tensor } from "./tensor.js";

/**
 * Thrown in anomaly mode when an op's forward output or a backward gradient contains NaN or
 * ±Infinity. The message names the op, the shapes, how many bad values and where the first one is,
 * and the op's forward call site.
 */
export class AnomalyError extends TypeError {
  override name = "AnomalyError";
  /** The op that produced the value (`"log"`, a `defineOp` name), or `"backward"` for a leaf's `.grad`. */
  readonly op: string;
  /** Whether the value came out of the op's forward, its backward rule, or accumulation into `.grad`. */
  readonly phase: "forward" | "backward" | "grad";
  /** Where in user code the op was called (`file:line:col`), when known. */
  readonly callSite: string | undefined;

  constructor(message: string, op: string, phase: "forward" | "backward" | "grad", callSite: string | undefined) {
    super(message);
    this.op = op;
    this.phase = phase;
    this.callSite = callSite;
  }
}

let enabled = false;
/** How many backward rules are running: ops recorded inside one (createGraph) are checked as gradients. */
let backwardDepth = 0;

/** True when anomaly mode is on. @example `detectAnomaly(() => isAnomalyEnabled()); // true` */
export function isAnomalyEnabled(): boolean {
  return enabled;
}

/**
 * Turns anomaly mode on or off globally (prefer {@link detectAnomaly}, which restores it).
 *
 * @example
 * ```ts
 * setDetectAnomaly(true);
 * // ... every op and gradient is checked for NaN / ±Infinity ...
 * setDetectAnomaly(false);
 * ```
 */
export function setDetectAnomaly(on: boolean): void {
  if (typeof on !== "boolean") {
    throw new ArgumentError(`setDetectAnomaly: expected a boolean, got ${typeof on} ${String(on)}`);
  }
  enabled = on;
  setNodeCreatedHook(on ? checkForward : null);
  setGradientCheckHook(on ? backwardChecks : null);
}

/**
 * Runs `fn` with anomaly mode on, then restores the previous state (also when `fn` throws). When `fn`
 * returns a promise, the state is restored once it settles; anomaly mode is global, so other code
 * running while it is pending is checked too.
 *
 * @example
 * ```ts
 * const x = tensor([1, -1], { requiresGrad: true });
 * detectAnomaly(() => x.log()); // throws AnomalyError: "log: forward output of shape [2] ... 1 NaN value ..."
 * ```
 */
export function detectAnomaly<T>(fn: () => T): T {
  if (typeof fn !== "function") throw new ArgumentError(`detectAnomaly: expected a function, got ${typeof fn}`);
  const prev = enabled;
  setDetectAnomaly(true);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    setDetectAnomaly(prev);
    throw e;
  }
  if (result instanceof Promise) return result.finally(() => setDetectAnomaly(prev)) as T;
  setDetectAnomaly(prev);
  return result;
}

// ---- scanning ----

/** The non-finite values of an array: counts and the row-major index of the first of each kind. */
interface NonFinite {
  nan: number;
  posInf: number;
  negInf: number;
  firstNan: number;
  firstPosInf: number;
  firstNegInf: number;
}

/** Counts NaN / +Infinity / -Infinity in a float array (in logical row-major order); null when all finite. */
function scan(a: NDArray): NonFinite | null {
  if (!nd.isFloat(a.dtype)) return null;
  const data = a.data;
  const n = a.size;
  const offs = a.isContiguous() ? null : nd.stridedOffsets(a.shape, a.strides, a.offset);
  const base = a.offset;
  // Fast pass: the first non-finite value (v - v is NaN, not 0, exactly for NaN and ±Infinity).
  let i = 0;
  if (offs) while (i < n && (data[offs[i] as number] as number) - (data[offs[i] as number] as number) === 0) i++;
  else while (i < n && (data[base + i] as number) - (data[base + i] as number) === 0) i++;
  if (i === n) return null;
  const found: NonFinite = { nan: 0, posInf: 0, negInf: 0, firstNan: -1, firstPosInf: -1, firstNegInf: -1 };
  for (; i < n; i++) {
    const v = data[offs ? (offs[i] as number) : base + i] as number;
    if (v !== v) {
      if (found.nan++ === 0) found.firstNan = i;
    } else if (v === Infinity) {
      if (found.posInf++ === 0) found.firstPosInf = i;
    } else if (v === -Infinity) {
      if (found.negInf++ === 0) found.firstNegInf = i;
    }
  }
  return found;
}

const plural = (k: number, what: string) => `${k} ${what} value${k === 1 ? "" : "s"}`;
const where = (k: number, first: number) => (k === 1 ? `at flat index ${first}` : `first at flat index ${first}`);

/** `"3 NaN values, first at flat index 5; 1 +Infinity value, at flat index 0"`. */
function describe(f: NonFinite): string {
  const parts: string[] = [];
  if (f.nan) parts.push(`${plural(f.nan, "NaN")}, ${where(f.nan, f.firstNan)}`);
  if (f.posInf) parts.push(`${plural(f.posInf, "+Infinity")}, ${where(f.posInf, f.firstPosInf)}`);
  if (f.negInf) parts.push(`${plural(f.negInf, "-Infinity")}, ${where(f.negInf, f.firstNegInf)}`);
  return parts.join("; ");
}

/** `"NaN"`, `"Infinity"`, `"NaN and -Infinity"`: the kinds present. */
function kinds(f: NonFinite): string {
  const k: string[] = [];
  if (f.nan) k.push("NaN");
  if (f.posInf && f.negInf) k.push("±Infinity");
  else if (f.posInf) k.push("Infinity");
  else if (f.negInf) k.push("-Infinity");
  return k.join(" and ");
}

/** `" (a leaf named "weight")"`, `" (output of exp)"`: where an input came from. */
function origin(t: Tensor): string {
  if (t.gradFn) return ` (output of ${t.gradFn.name})`;
  return t.name ? ` (a leaf named "${t.name}")` : " (a leaf)";
}

function shapes(ts: readonly Tensor[]): string {
  return ts.length === 0 ? "none" : ts.map((t) => `${fmtShape(t.shape)} ${t.dtype}`).join(", ");
}

/** Lines noting which forward inputs of a node hold non-finite values (they explain odd gradients). */
function nonFiniteInputs(node: Node): string[] {
  const lines: string[] = [];
  node.inputs.forEach((t, i) => {
    const f = scan(t.data);
    if (f) lines.push(`  note: forward input ${i} of ${node.name} contains ${kinds(f)} (${describe(f)})`);
  });
  return lines;
}

function siteLine(node: Node): string {
  return `  forward call site: ${node.callSite ?? "unknown"}`;
}

// ---- call sites ----

/** Frames in typegrad's own packages (sources in the monorepo, or installed builds). */
const OWN_FRAME =
  /[\\/](?:packages[\\/](?:tensor|autograd|nn|typegrad)[\\/](?:src|dist)|node_modules[\\/](?:@typegrad[\\/][^\\/]+|typegrad))[\\/]/;

/** The first stack frame outside typegrad and the runtime, as `file:line:col (in fn)`. */
function userFrame(stack: string | undefined): string | undefined {
  if (!stack) return undefined;
  for (const raw of stack.split("\n")) {
    const line = raw.trim();
    if (!line.startsWith("at ")) continue;
    if (
      OWN_FRAME.test(line) ||
      /^at (?:.* \()?node:/.test(line) ||
      line.endsWith("(native)") ||
      line === "at <anonymous>"
    ) {
      continue;
    }
    const frame = line.slice(3);
    const m = frame.match(/^(.*) \((.*)\)$/);
    if (!m) return frame;
    const fn = m[1]!.replace(/^async /, "");
    return fn === "<anonymous>" || fn === "Object.<anonymous>" ? m[2] : `${m[2]} (in ${fn})`;
  }
  return undefined;
}

/**
 * Captures the stack now (V8 formats it only when read) and gives the node a `callSite` accessor that
 * formats and trims it on first use, so ops that never go wrong pay only for the capture.
 */
function attachCallSite(node: Node): void {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 64; // deep nn call chains must not push the user's frame out of the trace
  let trace: Error | null = new Error();
  Error.stackTraceLimit = limit;
  let site: string | undefined;
  Object.defineProperty(node, "callSite", {
    configurable: true,
    enumerable: true,
    get(): string | undefined {
      if (trace) {
        site = userFrame(trace.stack);
        trace = null;
      }
      return site;
    },
    set(v: string | undefined) {
      site = v;
      trace = null;
    },
  });
}

// ---- the checks ----

/** Forward: called by `record()` for every node it creates. */
function checkForward(node: Node, output: Tensor): void {
  attachCallSite(node);
  // Inside a backward rule (createGraph) the ops' results are gradients, checked when the rule returns.
  if (backwardDepth > 0) return;
  const out = scan(output.data);
  if (!out) return;
  const inputs = node.inputs.map((t) => scan(t.data));
  const nanInputs = inputs.flatMap((f, i) => (f?.nan ? [i] : []));
  const badInputs = inputs.flatMap((f, i) => (f ? [i] : []));
  // Infinity flowing from an input that already holds one is propagation (e.g. a -Infinity attention
  // mask), not a new anomaly; NaN always is, and so is any non-finite value made from finite inputs.
  if (!out.nan && badInputs.length > 0) return;
  const head = `${node.name}: forward output of shape ${fmtShape(output.shape)} (${output.dtype}) contains ${kinds(out)}: ${describe(out)}`;
  const lines = [badInputs.length === 0 ? `${head}, although every input is finite.` : `${head}.`];
  for (const i of nanInputs.length > 0 ? nanInputs : badInputs) {
    const f = inputs[i]!;
    const verb = f.nan ? "already contains" : "contains";
    lines.push(`  input ${i}${origin(node.inputs[i]!)} ${verb} ${kinds(f)} (${describe(f)})`);
  }
  if (nanInputs.length > 0) {
    lines.push(
      `  so the NaN was made before ${node.name}: in a leaf tensor, a constant, or an op that was not recorded (run under noGrad, or with no input requiring grad).`,
    );
  }
  lines.push(`  input shapes: ${shapes(node.inputs)}`);
  lines.push(siteLine(node));
  throw new AnomalyError(lines.join("\n"), node.name, "forward", node.callSite);
}

const backwardChecks: GradientCheckHook = {
  applyNode(node: Node, gradOut: Tensor): (Tensor | null)[] {
    const incoming = scan(gradOut.data);
    if (incoming) {
      throw new AnomalyError(
        [
          `${node.name}: the gradient flowing into its backward (shape ${fmtShape(gradOut.shape)}) already contains ${kinds(incoming)}: ${describe(incoming)}.`,
          "  Every backward rule's result is checked, so it came from the gradient passed to backward(), a hook added with registerHook, or overflow when summing the gradients of a tensor used several times.",
          siteLine(node),
        ].join("\n"),
        node.name,
        "backward",
        node.callSite,
      );
    }
    backwardDepth++;
    let grads: (Tensor | null)[];
    try {
      grads = node.apply(gradOut);
    } finally {
      backwardDepth--;
    }
    for (let i = 0; i < grads.length; i++) {
      const g = grads[i];
      // The engine drops gradients for inputs that don't require grad: whatever is there is harmless.
      if (!g || !node.inputs[i]?.requiresGrad || !(g.data instanceof nd.NDArray)) continue;
      const f = scan(g.data);
      if (!f) continue;
      throw new AnomalyError(
        [
          `${node.name}: backward returned a gradient for input ${i} (shape ${fmtShape(g.shape)}, ${g.dtype}) that contains ${kinds(f)}: ${describe(f)}, from a finite incoming gradient of shape ${fmtShape(gradOut.shape)}.`,
          `  input shapes: ${shapes(node.inputs)}`,
          ...nonFiniteInputs(node),
          siteLine(node),
        ].join("\n"),
        node.name,
        "backward",
        node.callSite,
      );
    }
    return grads;
  },

  storedGrad(t: Tensor, incoming: Tensor): void {
    const grad = t.grad;
    if (!grad) return;
    const f = scan(grad.data);
    if (!f) return;
    const what = `${t.isLeaf ? "leaf" : "non-leaf"} tensor${t.name ? ` "${t.name}"` : ""} of shape ${fmtShape(t.shape)}`;
    const cause = scan(incoming.data)
      ? "the gradient reaching it already did: it came from the gradient passed to backward(), a hook added with registerHook, or overflow when summing the gradients of a tensor used several times."
      : "the gradient this pass added was finite, so .grad held non-finite values before this backward() (zero it with grad = null), or the sum overflowed.";
    throw new AnomalyError(
      [`backward: the .grad accumulated into a ${what} contains ${kinds(f)}: ${describe(f)}.`, `  ${cause}`].join("\n"),
      "backward",
      "grad",
      undefined,
    );
  },
};
