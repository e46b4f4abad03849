import * as nd from "@typegrad/tensor";
import { ArgumentError, fmtShape, ShapeError, shapesEqual } from "@typegrad/tensor";
import { enableGrad, noGrad } from "./grad-mode.js";
import type { Node } from "./node.js";
import { Tensor } from "./tensor.js";

export interface BackwardOptions {
  /** Keep the graph so backward can run through it again. */
  retainGraph?: boolean;
  /** Record the backward pass itself, making gradients differentiable (double backward). */
  createGraph?: boolean;
  /** Only compute gradients for these tensors and return them instead of accumulating into `.grad`. */
  inputs?: readonly Tensor[];
  /**
   * Tensors to treat as constants: the walk does not enter their history. A backward rule that runs
   * an inner backward (a vector-Jacobian product with upstream gradient g) passes g here, since g
   * may itself depend on the op being differentiated.
   */
  constants?: readonly Tensor[];
}

/** What anomaly mode does during backward (see anomaly.ts). */
export interface GradientCheckHook {
  /** Runs `node.apply(gradOut)` and checks the gradient coming in and the gradients it returns. */
  applyNode(node: Node, gradOut: Tensor): (Tensor | null)[];
  /** Checks `t.grad` after this pass stored `incoming` into it. */
  storedGrad(t: Tensor, incoming: Tensor): void;
}

/** Set by anomaly mode to inspect each computed gradient (null when off: one null check per node). */
export let gradientCheckHook: GradientCheckHook | null = null;

export function setGradientCheckHook(fn: GradientCheckHook | null): void {
  gradientCheckHook = fn;
}

/**
 * Tensors reachable from `root` through recorded ops, ordered so every tensor comes after all the
 * tensors computed from it (reverse topological order). Iterative: deep graphs cannot overflow the stack.
 */
export function topoOrder(root: Tensor, constants?: ReadonlySet<Tensor>): Tensor[] {
  const post: Tensor[] = [];
  const visited = new Set<Tensor>([root]);
  // Explicit stack of (tensor, next input index) in two parallel arrays: no per-node allocation.
  const stack: Tensor[] = [root];
  const next: number[] = [0];
  while (stack.length > 0) {
    const top = stack.length - 1;
    const t = stack[top]!;
    const inputs = t.gradFn && !constants?.has(t) ? t.gradFn.inputs : NONE;
    const i = next[top]!;
    if (i < inputs.length) {
      next[top] = i + 1;
      const child = inputs[i]!;
      if (child.requiresGrad && !visited.has(child)) {
        visited.add(child);
        stack.push(child);
        next.push(0);
      }
    } else {
      stack.pop();
      next.pop();
      post.push(t);
    }
  }
  return post.reverse();
}

const NONE: readonly Tensor[] = [];

/** The tensors in `order` (outputs before inputs) from which some tensor in `targets` is reachable. */
function leadingTo(order: readonly Tensor[], targets: ReadonlySet<Tensor>): Set<Tensor> {
  const needed = new Set<Tensor>();
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i]!;
    if (targets.has(t) || (t.gradFn?.inputs.some((x) => needed.has(x)) ?? false)) needed.add(t);
  }
  return needed;
}

/**
 * Adds `g` into `t.grad`. Without createGraph this is in place when `t.grad` is a plain contiguous
 * buffer (torch's behaviour), and a new gradient is stored without a copy when this pass produced it
 * for `t` alone; otherwise it is copied, so no two `.grad`s ever share storage.
 */
function storeGrad(t: Tensor, g: Tensor, exclusive: boolean, createGraph: boolean): void {
  if (createGraph) {
    t.grad = t.grad ? t.grad.add(g) : g.clone();
    return;
  }
  const prev = t.grad;
  if (
    prev &&
    !prev.requiresGrad &&
    prev.dtype === g.dtype &&
    prev.data.isContiguous() &&
    shapesEqual(prev.shape, g.shape)
  ) {
    nd.addInPlace(prev.data, g.data);
    prev.bumpVersion();
  } else if (prev) t.grad = new Tensor(nd.add(prev.data, g.data));
  else t.grad = new Tensor(exclusive && g.data.isContiguous() ? g.data : g.data.clone());
}

/**
 * Who can reach each gradient buffer during one backward pass. Gradients waiting in the walk hold a
 * reference to their buffer (views of one buffer count once each); buffers that the caller, a hook,
 * a leaf's `.grad` or a foreign rule may hold are pinned. A buffer with one reference and no pin is
 * owned by that gradient: a leaf may keep it as its `.grad` without a copy, a sum may be accumulated
 * into it in place, and when the last reference is consumed the buffer is recycled for later kernel
 * outputs (only with `recycling`, i.e. first-order passes that nobody inspects). Buffers below the
 * pool's minimum size are not tracked (never owned): copying or adding them costs less than counting.
 */
class GradBuffers {
  private readonly refs = new Map<ArrayBufferLike, number>();
  private readonly pinned = new Set<ArrayBufferLike>();

  constructor(private readonly recycling: boolean) {}

  /** A gradient handed to an input: one more reference (a pin when a foreign rule made it). */
  deliver(g: Tensor, builtin: boolean): void {
    const key = tracked(g);
    if (!key) return;
    this.refs.set(key, (this.refs.get(key) ?? 0) + 1);
    if (!builtin) this.pinned.add(key);
  }

  pin(g: Tensor): void {
    const key = tracked(g);
    if (key) this.pinned.add(key);
  }

  /** True when `g` is the only way to reach its buffer. */
  owns(g: Tensor): boolean {
    const key = tracked(g);
    return key !== null && !this.pinned.has(key) && (this.refs.get(key) ?? 0) <= 1;
  }

  /** Drops the reference of a gradient that is dead; the buffer is recycled when it was the last. */
  consume(g: Tensor): void {
    const key = tracked(g);
    if (!key) return;
    const left = (this.refs.get(key) ?? 1) - 1;
    if (left > 0) this.refs.set(key, left);
    else {
      // Dead. A recycled buffer may come back as a new output in this pass, with a fresh count.
      this.refs.delete(key);
      if (this.recycling && !this.pinned.has(key)) nd.recycleBuffer(g.data.data);
    }
  }

  /**
   * `prev + g` for two gradients of the same input. In place when `prev` owns a contiguous buffer
   * (no allocation); whatever dies is consumed.
   */
  accumulate(prev: Tensor | undefined, g: Tensor): Tensor {
    if (!prev) return g;
    if (this.recycling && this.owns(prev) && prev.dtype === g.dtype && prev.data.isContiguous()) {
      nd.addInPlace(prev.data, g.data);
      this.consume(g);
      return prev;
    }
    const sum = prev.add(g);
    const key = tracked(sum);
    if (key) this.refs.set(key, 1);
    this.consume(prev);
    this.consume(g);
    return sum;
  }
}

/** The memory behind `g` when it is large enough to track, else null. */
function tracked(g: Tensor): ArrayBufferLike | null {
  const data = g.data.data;
  return data.byteLength >= nd.BUFFER_POOL_MIN_BYTES ? data.buffer : null;
}

function runHooks(t: Tensor, g: Tensor): Tensor {
  let out = g;
  for (const hook of t.hooks) {
    const r = hook(out);
    if (r instanceof Tensor) out = r;
  }
  return out;
}

/**
 * Reverse-mode pass: seeds `root` with `gradient` (1 for a scalar), walks the graph in reverse
 * topological order applying each node's backward rule, and accumulates into leaves' `.grad`.
 * Returns the gradients of `opts.inputs` when given (functional use), else accumulates.
 */
export function backward(
  root: Tensor,
  gradient: Tensor | undefined,
  opts: BackwardOptions = {},
): (Tensor | null)[] | undefined {
  if (!(root instanceof Tensor)) throw new ArgumentError("backward: expected a Tensor");
  if (!root.requiresGrad) {
    throw new ArgumentError(
      `backward: tensor of shape ${fmtShape(root.shape)} does not require grad and has no gradFn; did you forget requiresGrad: true on the inputs, or call it inside noGrad()?`,
    );
  }
  let seed: Tensor;
  if (gradient === undefined) {
    if (root.size !== 1) {
      throw new ShapeError(
        `backward: grad can be implicitly created only for scalar outputs, got shape ${fmtShape(root.shape)}; pass a gradient of that shape`,
      );
    }
    seed = new Tensor(nd.onesLike(root.data));
  } else {
    if (!(gradient instanceof Tensor)) throw new ArgumentError("backward: gradient must be a Tensor");
    if (!shapesEqual(gradient.shape, root.shape)) {
      throw new ShapeError(
        `backward: gradient shape ${fmtShape(gradient.shape)} does not match output shape ${fmtShape(root.shape)}`,
      );
    }
    seed = gradient;
  }
  const run = () => walk(root, seed, opts);
  return opts.createGraph ? enableGrad(run) : noGrad(run);
}

function walk(root: Tensor, seed: Tensor, opts: BackwardOptions): (Tensor | null)[] | undefined {
  const constants = opts.constants?.length ? new Set(opts.constants) : undefined;
  const order = topoOrder(root, constants);
  const grads = new Map<Tensor, Tensor>();
  grads.set(root, seed);
  const wanted = opts.inputs ? new Set(opts.inputs) : null;
  // With explicit inputs, walk only tensors that lead to one of them (like torch.autograd.grad).
  const needed = wanted ? leadingTo(order, wanted) : null;
  const captured = new Map<Tensor, Tensor>();
  // Recycling needs every rule to be a built-in one and nothing to watch the gradients.
  const buffers = new GradBuffers(!opts.createGraph && !gradientCheckHook && !wanted);
  buffers.deliver(seed, false);
  for (const t of order) {
    let g = grads.get(t);
    if (g === undefined || (needed && !needed.has(t))) continue;
    grads.delete(t);
    let hooked = false;
    if (t.hooks.length) {
      // A hook may keep the gradient it sees or return one it keeps.
      buffers.pin(g);
      const before = g;
      g = runHooks(t, g);
      hooked = g !== before;
      buffers.pin(g);
    }
    if (wanted) {
      if (wanted.has(t)) captured.set(t, g);
    } else if (t.isLeaf || t.retainsGrad) {
      const exclusive = t.isLeaf && !hooked && buffers.owns(g);
      storeGrad(t, g, exclusive, opts.createGraph ?? false);
      if (exclusive) buffers.pin(g);
      else if (!t.gradFn) buffers.consume(g); // copied or added into .grad
      gradientCheckHook?.storedGrad(t, g);
    }
    const node = t.gradFn;
    if (!node || constants?.has(t)) continue;
    const inputGrads = gradientCheckHook ? gradientCheckHook.applyNode(node, g) : node.apply(g);
    const inputs = node.inputs;
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i]!;
      let gi = inputGrads[i];
      if (!input.requiresGrad || gi === null || gi === undefined) continue;
      if (!shapesEqual(gi.shape, input.shape)) {
        throw new ShapeError(
          `backward: ${node.name} produced a gradient of shape ${fmtShape(gi.shape)} for input ${i} of shape ${fmtShape(input.shape)}`,
        );
      }
      if (gi.dtype !== input.dtype) gi = gi.to(input.dtype);
      buffers.deliver(gi, node.builtin);
      grads.set(input, buffers.accumulate(grads.get(input), gi));
    }
    if (!opts.retainGraph && !opts.createGraph) node.release();
    // Consumed (a foreign rule may have kept it: pinned). Views of it passed on hold their own references.
    if (!node.builtin) buffers.pin(g);
    buffers.consume(g);
  }
  if (opts.inputs) return opts.inputs.map((t) => captured.get(t) ?? null);
  return undefined;
}
