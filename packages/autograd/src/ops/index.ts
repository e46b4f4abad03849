export { lift, primitive, reduceTo, sumToShape } from "./common.js";
export * from "./elementwise.js";
export * from "./indexing.js";
export * from "./linalg.js";
export * from "./loss.js";
export * from "./norm.js";
export * from "./reduce.js";
export * from "./shape.js";
