import type { WorkloadId } from "../workloads.js";

/**
 * One timed iteration. It must finish all the work (synchronous kernels, or a read-back of the
 * result) and return a number from it: the loss before the step for training workloads, otherwise a
 * checksum (see `WorkloadInfo.valueName`).
 */
export type Iteration = () => number;

export interface Prepared {
  run: Iteration;
  /** How this framework's version differs from the reference (typegrad / PyTorch semantics). */
  notes?: string[];
  /** False if the math differs on purpose (e.g. a missing op replaced), so values are not compared. */
  exact?: boolean;
}

export interface Framework {
  /** Facts about the setup (backend, SIMD, threads), shown under the table. */
  info: string[];
  /** Builds the inputs and model for one workload; runs nothing timed. */
  prepare(workload: WorkloadId): Prepared | Promise<Prepared>;
}
