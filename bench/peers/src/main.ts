/**
 * `pnpm bench:peers` — typegrad against TF.js (wasm, cpu) and js-pytorch on six workloads.
 *
 * Every (framework, workload) pair runs in its own child process (node + tsx), interleaved across
 * frameworks, for several rounds; each child warms up, times iterations and reports its median;
 * the table shows the median over rounds and typegrad's speed ratio against each peer.
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { median } from "./measure.js";
import { RESULT_PREFIX, type WorkerResult } from "./protocol.js";
import {
  FRAMEWORK_LABELS,
  FRAMEWORKS,
  type FrameworkId,
  parseList,
  WORKLOAD_INFO,
  WORKLOADS,
  type WorkloadId,
} from "./workloads.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const PACKAGE_DIR = dirname(HERE);
const WORKER = join(HERE, "worker.ts");

const USAGE = `Usage: pnpm bench:peers [options]
  --only <list>       frameworks (default all): ${FRAMEWORKS.join(",")}
  --workloads <list>  workloads (default all): ${WORKLOADS.join(",")}
  --rounds <n>        rounds, each running every pair once (default 3)
  --budget <s>        timed seconds per process after warm-up (default 3)
  --timeout <s>       kill a process after this many seconds (default 300)
  --threads <n>       TYPEGRAD_THREADS for the typegrad processes (default: inherited)
  --out <file>        markdown output (default bench/peers/results.md)`;

interface Options {
  frameworks: FrameworkId[];
  workloads: WorkloadId[];
  rounds: number;
  budget: number;
  timeout: number;
  threads: string | undefined;
  out: string;
}

function parseOptions(): Options | null {
  const { values } = parseArgs({
    options: {
      only: { type: "string" },
      workloads: { type: "string" },
      rounds: { type: "string", default: "3" },
      budget: { type: "string", default: "3" },
      timeout: { type: "string", default: "300" },
      threads: { type: "string" },
      out: { type: "string", default: join(PACKAGE_DIR, "results.md") },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return null;
  const positive = (flag: string, v: string, integer: boolean): number => {
    const n = Number(v);
    if (!(n > 0) || (integer && !Number.isInteger(n))) throw new Error(`${flag} must be a positive number, got ${v}`);
    return n;
  };
  return {
    frameworks: values.only ? parseList("--only", values.only, FRAMEWORKS) : [...FRAMEWORKS],
    workloads: values.workloads ? parseList("--workloads", values.workloads, WORKLOADS) : [...WORKLOADS],
    rounds: positive("--rounds", values.rounds, true),
    budget: positive("--budget", values.budget, false),
    timeout: positive("--timeout", values.timeout, false),
    threads: values.threads ?? process.env.TYPEGRAD_THREADS,
    out: values.out,
  };
}

interface RunOutcome {
  result?: WorkerResult;
  error?: string;
  timedOut?: boolean;
}

function runWorker(framework: FrameworkId, workload: WorkloadId, opts: Options): Promise<RunOutcome> {
  const env = { ...process.env };
  if (opts.threads !== undefined) env.TYPEGRAD_THREADS = opts.threads;
  const args = ["--import", import.meta.resolve("tsx"), WORKER];
  args.push("--framework", framework, "--workload", workload, "--budget", String(opts.budget));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, opts.timeout * 1000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (timedOut) return resolve({ timedOut: true, error: `timed out after ${opts.timeout} s` });
      const line = stdout.split("\n").find((l) => l.startsWith(RESULT_PREFIX));
      if (code !== 0 || !line) {
        const why = stderr.trim() || stdout.trim() || `exit code ${code ?? signal}`;
        return resolve({ error: why });
      }
      resolve({ result: JSON.parse(line.slice(RESULT_PREFIX.length)) as WorkerResult });
    });
  });
}

// ---- formatting -------------------------------------------------------------------------------

function fmtNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x >= 1000) return Math.round(x).toLocaleString("en-US");
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  if (x >= 1) return x.toFixed(2);
  return x.toPrecision(2);
}

function fmtMetric(x: number, workload: WorkloadId): string {
  const unit = WORKLOAD_INFO[workload].unit;
  return `${fmtNumber(x)} ${unit === "ms/step" ? "ms" : unit}`;
}

function fmtRatio(r: number): string {
  return `${fmtNumber(r)}×`;
}

// ---- aggregation ------------------------------------------------------------------------------

interface Cell {
  results: WorkerResult[];
  errors: string[];
  timeouts: number;
}

const key = (f: FrameworkId, w: WorkloadId) => `${f}/${w}`;

/** Median over rounds of each round's median iteration time, as the workload's metric. */
function cellMetric(cell: Cell | undefined, workload: WorkloadId): number | undefined {
  if (!cell || cell.results.length === 0) return undefined;
  return WORKLOAD_INFO[workload].metric(median(cell.results.map((r) => median(r.timedMs))));
}

function cellText(cell: Cell | undefined, workload: WorkloadId): string {
  if (!cell) return "—";
  const m = cellMetric(cell, workload);
  if (m !== undefined) return fmtMetric(m, workload);
  if (cell.errors.length > 0) return "FAIL";
  return cell.timeouts > 0 ? "timeout" : "—";
}

function main(): Promise<void> | void {
  const opts = parseOptions();
  if (!opts) {
    console.log(USAGE);
    return;
  }
  return run(opts);
}

async function run(opts: Options): Promise<void> {
  const cells = new Map<string, Cell>();
  const failures: string[] = [];
  const started = Date.now();
  const loadBefore = os.loadavg()[0]!;
  const log = (s: string) => process.stderr.write(`${s}\n`);
  log(
    `bench:peers — ${opts.frameworks.join(", ")} × ${opts.workloads.join(", ")}, ${opts.rounds} round(s), ` +
      `${opts.budget} s per process, timeout ${opts.timeout} s`,
  );

  for (let round = 0; round < opts.rounds; round++) {
    for (const workload of opts.workloads) {
      // Rotate the framework order each round so no framework always runs first.
      const order = opts.frameworks.map((_, i, fs) => fs[(i + round) % fs.length]!);
      for (const framework of order) {
        const t0 = Date.now();
        const outcome = await runWorker(framework, workload, opts);
        const wall = ((Date.now() - t0) / 1000).toFixed(1);
        const cell = cells.get(key(framework, workload)) ?? { results: [], errors: [], timeouts: 0 };
        cells.set(key(framework, workload), cell);
        const tag = `[round ${round + 1}/${opts.rounds}] ${workload.padEnd(13)} ${FRAMEWORK_LABELS[framework].padEnd(11)}`;
        if (outcome.result) {
          cell.results.push(outcome.result);
          const ms = median(outcome.result.timedMs);
          log(
            `${tag} ${fmtMetric(WORKLOAD_INFO[workload].metric(ms), workload).padStart(14)}  ` +
              `(${outcome.result.warmupMs.length} warm-up + ${outcome.result.timedMs.length} timed, ${wall} s)`,
          );
        } else if (outcome.timedOut) {
          cell.timeouts++;
          log(`${tag} timeout after ${opts.timeout} s`);
        } else {
          cell.errors.push(outcome.error ?? "unknown error");
          failures.push(`${framework} ${workload}: ${outcome.error}`);
          log(`${tag} FAILED\n${outcome.error}`);
        }
      }
    }
  }

  failures.push(...agreementFailures(cells, opts));
  const load = [loadBefore, os.loadavg()[0]!] as const;
  const markdown = report(cells, opts, failures, (Date.now() - started) / 1000, load);
  writeFileSync(opts.out, markdown);
  process.stdout.write(markdown);
  log(`\nwrote ${relative(process.cwd(), opts.out) || opts.out}`);
  if (failures.length > 0) {
    log(`\n!!! ${failures.length} CHECK(S) FAILED !!!`);
    for (const f of failures) log(`  - ${f.split("\n")[0]}`);
    process.exitCode = 1;
  }
}

/**
 * Every framework starts from the same data and weights, so the first iteration's value (the loss
 * before any update, or a checksum) must agree with typegrad's — or with the first exact framework's
 * when typegrad is not selected. Frameworks that change the math on purpose (`exact: false`) are only
 * reported.
 */
function agreementFailures(cells: Map<string, Cell>, opts: Options): string[] {
  const failures: string[] = [];
  for (const workload of opts.workloads) {
    const firsts = opts.frameworks
      .map((f) => cells.get(key(f, workload))?.results[0])
      .filter((r): r is WorkerResult => r?.exact === true);
    const ref = firsts[0];
    if (!ref) continue;
    const tol = WORKLOAD_INFO[workload].tolerance;
    for (const r of firsts.slice(1)) {
      const a = r.values[0]!;
      const b = ref.values[0]!;
      if (!(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)))) {
        failures.push(
          `CHECK FAILED: ${workload}: ${FRAMEWORK_LABELS[r.framework]} ${WORKLOAD_INFO[workload].valueName} ${a} ` +
            `differs from ${FRAMEWORK_LABELS[ref.framework]} ${b} (tolerance ${tol} relative)`,
        );
      }
    }
  }
  return failures;
}

function report(
  cells: Map<string, Cell>,
  opts: Options,
  failures: string[],
  seconds: number,
  load: readonly [number, number],
): string {
  const peers = opts.frameworks.filter((f) => f !== "typegrad");
  const hasTypegrad = opts.frameworks.includes("typegrad");
  const header = ["workload", ...opts.frameworks.map((f) => FRAMEWORK_LABELS[f])];
  if (hasTypegrad) header.push(...peers.map((p) => `typegrad vs ${FRAMEWORK_LABELS[p]}`));
  const rows = opts.workloads.map((w) => {
    const row = [WORKLOAD_INFO[w].label, ...opts.frameworks.map((f) => cellText(cells.get(key(f, w)), w))];
    if (hasTypegrad) {
      const tg = cellMetric(cells.get(key("typegrad", w)), w);
      for (const p of peers) {
        const peer = cellMetric(cells.get(key(p, w)), w);
        if (tg === undefined || peer === undefined) row.push("—");
        else row.push(fmtRatio(WORKLOAD_INFO[w].higherIsBetter ? tg / peer : peer / tg));
      }
    }
    return row;
  });
  const line = (cols: string[]) => `| ${cols.join(" | ")} |`;
  const table = [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");

  const devDeps = (
    JSON.parse(readFileSync(join(PACKAGE_DIR, "package.json"), "utf8")) as {
      devDependencies: Record<string, string>;
    }
  ).devDependencies;
  const versions = Object.entries(devDeps)
    .filter(([name]) => name !== "typegrad")
    .map(([name, v]) => `${name} ${v}`)
    .join(", ");
  const cpus = os.cpus();
  const out: string[] = [
    "# typegrad vs JavaScript frameworks",
    "",
    `Medians over ${opts.rounds} round(s); each cell is the median of per-process medians, every (framework, workload) ` +
      `in its own process after warm-up. Ratios are typegrad's speed relative to the peer (> 1 = typegrad faster; ` +
      `for GFLOP/s typegrad ÷ peer, otherwise peer time ÷ typegrad time).`,
    "",
    table,
    "",
    `Machine: ${cpus[0]?.model ?? "unknown CPU"}, ${cpus.length} logical cores, Node ${process.version}, ${os.platform()} ${os.arch()}. ` +
      `Run ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${Math.round(seconds)} s, ` +
      `1-min load average ${load[0].toFixed(1)} at start and ${load[1].toFixed(1)} at end. ` +
      `TYPEGRAD_THREADS=${opts.threads ?? "(unset)"}. Peers: ${versions}.`,
    "",
  ];

  const notes: string[] = [];
  for (const f of opts.frameworks) {
    const results = opts.workloads.flatMap((w) => cells.get(key(f, w))?.results.slice(0, 1) ?? []);
    if (results.length === 0) continue;
    const info = [...new Set(results.flatMap((r) => r.info))];
    notes.push(`- **${FRAMEWORK_LABELS[f]}**${info.length > 0 ? `: ${info.join("; ")}` : ""}.`);
    for (const r of results) {
      if (r.notes.length > 0) notes.push(`  - ${r.workload}: ${r.notes.join("; ")}.`);
    }
  }
  if (notes.length > 0) out.push("## Setup and differences", "", ...notes, "");

  const checks: string[] = [];
  for (const w of opts.workloads) {
    const info = WORKLOAD_INFO[w];
    const parts = opts.frameworks.flatMap((f) => {
      const r = cells.get(key(f, w))?.results[0];
      if (!r) return [];
      const first = r.values[0]!;
      const last = r.values[r.values.length - 1]!;
      const shown = info.training
        ? `${first.toFixed(5)} → ${last.toFixed(5)} in ${r.values.length} steps`
        : first.toPrecision(7);
      return [`${FRAMEWORK_LABELS[f]} ${shown}${r.exact ? "" : " (different math, not compared)"}`];
    });
    if (parts.length > 0)
      checks.push(`- ${w} (${info.training ? "loss, first → last" : info.valueName}): ${parts.join("; ")}`);
  }
  out.push(
    "## Checks",
    "",
    "Training losses must fall; first-iteration values must agree across frameworks (same data and initial weights); " +
      "typegrad's cross-entropy must equal TF.js's (loss to 1e-4, gradient to 1e-4 of its largest entry).",
    "",
    ...checks,
    "",
    failures.length === 0
      ? "All checks passed."
      : `**${failures.length} check(s) failed:**\n\n${failures.map((f) => `- ${f.split("\n")[0]}`).join("\n")}`,
    "",
  );
  return out.join("\n");
}

await main();
