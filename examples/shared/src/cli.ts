import { parseArgs } from "node:util";

/** One command-line flag of an example. */
export interface FlagSpec {
  type: "number" | "string" | "boolean";
  default: number | string | boolean;
  help: string;
}

export type FlagValues<S extends Record<string, FlagSpec>> = {
  [K in keyof S]: S[K]["type"] extends "number" ? number : S[K]["type"] extends "boolean" ? boolean : string;
};

/**
 * Parses `--name value` flags (plus `--help`) against a spec; numbers are validated.
 * Prints usage and exits on `--help`, throws on unknown flags or bad numbers.
 */
export function parseFlags<S extends Record<string, FlagSpec>>(
  name: string,
  description: string,
  spec: S,
  argv = process.argv.slice(2),
): FlagValues<S> {
  const options: Record<string, { type: "string" | "boolean" }> = { help: { type: "boolean" } };
  for (const [k, s] of Object.entries(spec)) options[k] = { type: s.type === "boolean" ? "boolean" : "string" };
  const { values } = parseArgs({
    args: argv.filter((a) => a !== "--"),
    options,
    allowPositionals: false,
    strict: true,
  });
  if (values.help) {
    const lines = [`${name}: ${description}`, "", "Flags:"];
    for (const [k, s] of Object.entries(spec))
      lines.push(`  --${k.padEnd(14)} ${s.help} (default: ${String(s.default)})`);
    lines.push(`  --${"help".padEnd(14)} show this help`);
    console.log(lines.join("\n"));
    process.exit(0);
  }
  const out: Record<string, number | string | boolean> = {};
  for (const [k, s] of Object.entries(spec)) {
    const raw = values[k];
    if (raw === undefined) out[k] = s.default;
    else if (s.type === "number") {
      const n = Number(raw);
      if (!Number.isFinite(n)) throw new Error(`${name}: --${k} expects a number, got ${JSON.stringify(raw)}`);
      out[k] = n;
    } else out[k] = raw as string | boolean;
  }
  return out as FlagValues<S>;
}
