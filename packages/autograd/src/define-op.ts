import * as nd from "@typegrad/tensor";
import { ArgumentError, describeValue, type NDArray } from "@typegrad/tensor";
import { record } from "./node.js";
import { Tensor } from "./tensor.js";

/** What a custom op's forward and backward share. */
export interface OpContext {
  /** Keep tensors (or arrays) for backward; read them back from `saved`. */
  saveForBackward(...values: (NDArray | Tensor)[]): void;
  /** What `saveForBackward` kept, as Tensors (differentiable inside backward). */
  readonly saved: Tensor[];
  /** For each input: does it need a gradient? Skip work for the ones that don't. */
  readonly needsInputGrad: readonly boolean[];
  /** Free-form storage for non-tensor values (shapes, options). */
  [key: string]: unknown;
}

/** A user-defined differentiable op: forward on NDArrays, backward on Tensors. */
export interface OpDefinition {
  name: string;
  forward(ctx: OpContext, ...inputs: NDArray[]): NDArray;
  backward(ctx: OpContext, gradOut: Tensor): (Tensor | null | undefined)[] | Tensor | null;
}

/**
 * Defines a differentiable op from a forward kernel and a backward rule, like torch.autograd.Function.
 * The backward rule is written with Tensor ops, so it is itself differentiable (double backward works
 * when those ops are). Verify it with `gradcheck`.
 *
 * @example
 * ```ts
 * const cube = defineOp({
 *   name: "cube",
 *   forward(ctx, x) { ctx.saveForBackward(x); return nd.mul(nd.mul(x, x), x); },
 *   backward(ctx, g) { const [x] = ctx.saved; return [g.mul(x.mul(x)).mul(3)]; },
 * });
 * gradcheck(cube, [randn([3], { dtype: "float64", requiresGrad: true })]); // true
 * ```
 */
export function defineOp(def: OpDefinition): (...inputs: (Tensor | number)[]) => Tensor {
  if (!def || typeof def.forward !== "function" || typeof def.backward !== "function" || !def.name) {
    throw new ArgumentError(
      `defineOp: expected { name, forward(ctx, ...inputs), backward(ctx, gradOut) }, got ${describeValue(def)}`,
    );
  }
  return (...args: (Tensor | number)[]): Tensor => {
    const inputs = args.map((a, i) => {
      if (a instanceof Tensor) return a;
      if (typeof a === "number" || typeof a === "boolean") return new Tensor(nd.asArray(a));
      throw new ArgumentError(`${def.name}: input ${i} must be a Tensor or a number, got ${describeValue(a)}`);
    });
    const savedTensors: Tensor[] = [];
    const ctx: OpContext = {
      saveForBackward(...values: (NDArray | Tensor)[]) {
        for (const v of values) {
          if (v instanceof Tensor) savedTensors.push(v);
          else {
            // An NDArray that is one of the inputs is saved as that input, so double backward sees it.
            const i = inputs.findIndex((t) => t.data === v);
            savedTensors.push(i >= 0 ? inputs[i]! : new Tensor(v));
          }
        }
      },
      saved: savedTensors,
      needsInputGrad: inputs.map((t) => t.requiresGrad),
    };
    const out = def.forward(ctx, ...inputs.map((t) => t.data));
    if (!(out instanceof nd.NDArray)) {
      throw new ArgumentError(`${def.name}: forward must return an NDArray, got ${describeValue(out)}`);
    }
    return record(
      def.name,
      inputs,
      out,
      (g) => {
        const r = def.backward(ctx, g);
        const list = Array.isArray(r) ? r : [r];
        if (list.length !== inputs.length) {
          throw new ArgumentError(
            `${def.name}: backward returned ${list.length} gradients for ${inputs.length} inputs`,
          );
        }
        return list.map((x) => x ?? null);
      },
      { saves: savedTensors.filter((t) => inputs.includes(t)) },
    );
  };
}
