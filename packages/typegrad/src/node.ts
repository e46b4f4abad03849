/**
 * typegrad/node — Node-only additions: multi-threaded matmul (a worker pool over shared WebAssembly
 * memory). Importing it turns threading on with one thread per core; `setNumThreads(1)` turns it off.
 *
 * @example
 * ```ts
 * import "typegrad/node";                    // threads on
 * import { setNumThreads } from "typegrad/node";
 * setNumThreads(2);
 * ```
 * @packageDocumentation
 */
export * from "@typegrad/tensor/node";
