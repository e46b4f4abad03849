/**
 * typegrad — everything in one import: `import * as tg from "typegrad"`.
 * Autograd and nn at the top level (`tg.tensor`, `tg.Linear`, `tg.crossEntropy`), the array package
 * as `tg.nd`, weight init as `tg.init`.
 *
 * @example
 * ```ts
 * import * as tg from "typegrad";
 * const x = tg.randn([4, 3], { requiresGrad: true });
 * tg.mseLoss(new tg.Linear(3, 1).forward(x), tg.zeros(4, 1)).backward();
 * ```
 * @packageDocumentation
 */
export * from "@typegrad/autograd";
export * from "@typegrad/nn";
export * as nd from "@typegrad/tensor";
export {
  ArgumentError,
  type DType,
  DTypeError,
  IndexError,
  type NDArray,
  type NestedArray,
  ShapeError,
  StateError,
} from "@typegrad/tensor";
