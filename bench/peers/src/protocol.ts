import type { FrameworkId, WorkloadId } from "./workloads.js";

/** The worker prints exactly one line starting with this, followed by a WorkerResult as JSON. */
export const RESULT_PREFIX = "@@result ";

export interface WorkerResult {
  framework: FrameworkId;
  workload: WorkloadId;
  warmupMs: number[];
  timedMs: number[];
  /** The value of every iteration (warm-up first): loss before the step, or a checksum. */
  values: number[];
  /** False when the framework computes deliberately different math (values not compared). */
  exact: boolean;
  notes: string[];
  info: string[];
}
