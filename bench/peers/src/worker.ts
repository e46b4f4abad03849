/**
 * One (framework, workload) measurement in its own process: builds the inputs, warms up, times
 * iterations, checks that training losses fall, and prints one `@@result {json}` line on stdout.
 *
 *   node --import tsx bench/peers/src/worker.ts --framework tfjs-wasm --workload mlp [--budget 3]
 */
import { parseArgs } from "node:util";
import type { Framework } from "./frameworks/types.js";
import { DEFAULT_BUDGET, measure } from "./measure.js";
import { RESULT_PREFIX, type WorkerResult } from "./protocol.js";
import { FRAMEWORKS, type FrameworkId, parseList, WORKLOAD_INFO, WORKLOADS } from "./workloads.js";

async function loadFramework(id: FrameworkId): Promise<Framework> {
  switch (id) {
    case "typegrad":
      return (await import("./frameworks/typegrad.js")).load();
    case "tfjs-wasm":
      return (await import("./frameworks/tfjs.js")).load("wasm");
    case "tfjs-cpu":
      return (await import("./frameworks/tfjs.js")).load("cpu");
    case "js-pytorch":
      return (await import("./frameworks/jspytorch.js")).load();
  }
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      framework: { type: "string" },
      workload: { type: "string" },
      budget: { type: "string", default: String(DEFAULT_BUDGET.timedMs / 1000) },
    },
  });
  const [framework] = parseList("--framework", args.framework ?? "", FRAMEWORKS);
  const [workload] = parseList("--workload", args.workload ?? "", WORKLOADS);
  const budgetSeconds = Number(args.budget);
  if (!(budgetSeconds > 0)) throw new Error(`--budget must be a positive number of seconds, got ${args.budget}`);

  const fw = await loadFramework(framework!);
  const prepared = await fw.prepare(workload!);
  const m = measure(prepared.run, { ...DEFAULT_BUDGET, timedMs: budgetSeconds * 1000 });

  for (const v of m.values) {
    if (!Number.isFinite(v)) throw new Error(`CHECK FAILED: ${framework} ${workload} produced ${v}`);
  }
  if (WORKLOAD_INFO[workload!].training) {
    const first = m.values[0]!;
    const last = m.values[m.values.length - 1]!;
    if (!(last < first)) {
      throw new Error(
        `CHECK FAILED: ${framework} ${workload}: loss did not fall (${first} → ${last} over ${m.values.length} steps)`,
      );
    }
  }
  const result: WorkerResult = {
    framework: framework!,
    workload: workload!,
    ...m,
    exact: prepared.exact ?? true,
    notes: prepared.notes ?? [],
    info: fw.info,
  };
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`, () => process.exit(0));
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
