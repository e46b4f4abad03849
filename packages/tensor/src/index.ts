/**
 * @typegrad/tensor — strided n-d arrays with broadcasting, dtypes and fast kernels.
 * Runs anywhere JavaScript runs: no Node-only API in this entry point.
 * @packageDocumentation
 */

export {
  clearBufferPool,
  POOL_MIN_BYTES as BUFFER_POOL_MIN_BYTES,
  pooledBufferBytes,
  recycleBuffer,
} from "./buffer-pool.js";
export { arange, array, type CreateOptions, eye, full, linspace, ones, onesLike, zeros, zerosLike } from "./create.js";
export {
  allocate,
  castScalar,
  DTYPES,
  type DType,
  dtypeOf,
  floatDType,
  isFloat,
  promoteTypes,
  type TypedArray,
} from "./dtype.js";
export {
  ArgumentError,
  DTypeError,
  describeValue,
  fmtShape,
  IndexError,
  ShapeError,
  StateError,
} from "./errors.js";
export { formatNDArray, printOptions } from "./format.js";
export {
  CrossEntropySaved,
  type CrossEntropyTargets,
  softmaxCrossEntropy,
  softmaxCrossEntropyBackward,
  softmaxCrossEntropyCoefficients,
  softmaxCrossEntropyForward,
} from "./kernels/cross-entropy.js";
export * from "./kernels/elementwise.js";
export { exp as fastExp, tanh as fastTanh } from "./kernels/fastmath.js";
export { cat, gather, indexAdd, indexSelect, scatterAdd, stack } from "./kernels/indexing.js";
export { layerNorm, layerNormBackward } from "./kernels/layer-norm.js";
export { setCodegenEnabled } from "./kernels/loops.js";
export {
  addmm,
  gemm,
  getMatmulBackend,
  linearGrads,
  linearWeightGrads,
  type MatmulBackend,
  matmul,
  setMatmulBackend,
  WASM_MIN_WORK,
  wasmSimdSupported,
} from "./kernels/matmul.js";
export { type AdamUpdateOptions, adamUpdate } from "./kernels/optim.js";
export {
  argmax,
  argmin,
  type Dims,
  logsumexp,
  max,
  mean,
  min,
  sum,
  sumToShape,
  variance,
  variance as var,
  varianceCorrection,
} from "./kernels/reduce.js";
export { causalSoftmax, logSoftmax, logSoftmaxBackward, softmax, softmaxBackward } from "./kernels/softmax.js";
export { erf, erfc, normalCdf, normalPdf } from "./kernels/special.js";
export { NDArray, type NestedArray, type ShapeArgs } from "./ndarray.js";
export {
  getDefaultRng,
  manualSeed,
  type RandomOptions,
  Rng,
  rand,
  randint,
  randn,
  randperm,
  uniform,
} from "./random.js";
export {
  broadcastShapes,
  contiguousStrides,
  normalizeDim,
  normalizeDims,
  type Shape,
  shapeArgs,
  shapeSize,
  shapesEqual,
} from "./shape.js";
export { isContiguousLayout, stridedOffsets } from "./strided.js";
export { BINARY_WASM_MIN } from "./wasm/binary.js";
export { LAYER_NORM_WASM_MIN } from "./wasm/norm.js";
export {
  ADAM_WASM_MIN,
  getOptimizerKernelBackend,
  type OptimizerKernelBackend,
  setOptimizerKernelBackend,
} from "./wasm/optim.js";
export { getRowKernelBackend, ROWS_WASM_MIN, type RowKernelBackend, setRowKernelBackend } from "./wasm/rows.js";
export {
  getUnaryKernelBackend,
  setUnaryKernelBackend,
  UNARY_WASM_MIN,
  type UnaryKernelBackend,
} from "./wasm/unary.js";
