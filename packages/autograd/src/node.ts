import { fmtShape, type NDArray, StateError } from "@typegrad/tensor";
import { isGradEnabled } from "./grad-mode.js";
import { Tensor } from "./tensor.js";

/** A backward rule: the gradient of each input given the output's gradient (null = no gradient). */
export type BackwardFn = (gradOut: Tensor, output: Tensor) => (Tensor | null)[];

/** Names of every primitive op, so the gradcheck table can prove it covers them all. */
export const primitiveOps = new Set<string>();

/**
 * One recorded op in the graph: its inputs, its backward rule, and the versions of the tensors the
 * rule reads (to detect in-place changes before backward).
 */
export class Node {
  readonly name: string;
  readonly inputs: readonly Tensor[];
  /** The tensor this node produced (weakly conceptual: the graph is walked from outputs to inputs). */
  output: Tensor | null = null;
  /** Where in user code the op was called, recorded only in anomaly mode. */
  callSite?: string;
  /**
   * A built-in op's node: its rule returns fresh gradients or views of `gradOut` and keeps no
   * reference to `gradOut`, so the engine may recycle gradient buffers it consumes or produces.
   * False for rules from outside the library (`record`, `defineOp`), which may keep or share them.
   */
  readonly builtin: boolean;
  private rule: BackwardFn | null;
  private saved: { tensor: Tensor; version: number }[];

  constructor(name: string, inputs: readonly Tensor[], rule: BackwardFn, saved: readonly Tensor[], builtin = false) {
    this.name = name;
    this.inputs = inputs;
    this.builtin = builtin;
    this.rule = rule;
    this.saved = saved.map((tensor) => ({ tensor, version: tensor.version }));
  }

  /** True once a backward pass without `retainGraph` freed this node. */
  get released(): boolean {
    return this.rule === null;
  }

  /** Runs the backward rule after checking the graph is intact and saved tensors unmodified. */
  apply(gradOut: Tensor): (Tensor | null)[] {
    if (!this.rule) {
      throw new StateError(
        `backward: trying to backward through the graph a second time (op ${this.name}); its saved tensors were freed after the first backward. Pass { retainGraph: true } to the first backward() to keep them.`,
      );
    }
    for (let i = 0; i < this.saved.length; i++) {
      const s = this.saved[i]!;
      if (s.tensor.version !== s.version) {
        throw new StateError(
          `backward: a tensor of shape ${fmtShape(s.tensor.shape)} saved by ${this.name} for its gradient was modified in place (version ${s.version} at save, now ${s.tensor.version}); clone it before modifying.`,
        );
      }
    }
    return this.rule(gradOut, this.output!);
  }

  /** Adds a tensor the rule reads, remembering its current version. */
  save(tensor: Tensor): void {
    this.saved.push({ tensor, version: tensor.version });
  }

  /** Drops the backward rule (and with it the saved tensors). */
  release(): void {
    this.rule = null;
    this.saved = [];
  }
}

export interface RecordOptions {
  /** Tensors the backward rule reads; modifying one in place before backward is an error. */
  saves?: readonly Tensor[];
  /** The backward rule reads the output itself. */
  savesOutput?: boolean;
}

/**
 * Wraps a kernel result as a Tensor and, when grad mode is on and an input requires grad, records
 * the node that backward will walk. Every op goes through here.
 */
export function record(
  name: string,
  inputs: readonly Tensor[],
  out: NDArray,
  backward: BackwardFn,
  opts: RecordOptions = {},
): Tensor {
  return recordNode(name, inputs, out, backward, opts, false);
}

/** {@link record} for the library's own ops (see {@link Node.builtin}); not exported from the package. */
export const recordBuiltin: typeof record = (name, inputs, out, backward, opts = {}) =>
  recordNode(name, inputs, out, backward, opts, true);

function recordNode(
  name: string,
  inputs: readonly Tensor[],
  out: NDArray,
  backward: BackwardFn,
  opts: RecordOptions,
  builtin: boolean,
): Tensor {
  let needs = false;
  if (isGradEnabled()) for (const t of inputs) if (t.requiresGrad) needs = true;
  if (!needs) return new Tensor(out);
  const node = new Node(name, inputs, backward, opts.saves ?? [], builtin);
  const result = Tensor.fromNode(out, node);
  node.output = result;
  if (opts.savesOutput) node.save(result);
  nodeCreatedHook?.(node, result);
  return result;
}

/** Set by anomaly mode to inspect every recorded node (null when off: no cost). */
export let nodeCreatedHook: ((node: Node, output: Tensor) => void) | null = null;

export function setNodeCreatedHook(fn: ((node: Node, output: Tensor) => void) | null): void {
  nodeCreatedHook = fn;
}
