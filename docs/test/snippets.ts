/**
 * Extracts the `ts` code blocks of the guides so the docs tests can typecheck and run them. A block
 * tagged ```` ```ts fragment ```` is an excerpt (source code or a loop body) and is skipped.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const docsDir = fileURLToPath(new URL("..", import.meta.url));

/** The guide file names (`getting-started.md`, ...), sorted. */
export function guides(): string[] {
  return readdirSync(docsDir)
    .filter((f) => f.endsWith(".md"))
    .sort();
}

/** A guide's text. */
export function readGuide(name: string): string {
  return readFileSync(`${docsDir}/${name}`, "utf8");
}

export interface Snippet {
  guide: string;
  /** 1-based line of the opening fence. */
  line: number;
  code: string;
}

/** Every runnable ```ts block of a guide. */
export function snippets(guide: string): Snippet[] {
  const lines = readGuide(guide).split("\n");
  const out: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const info = lines[i]!.match(/^```(\S*)\s*(.*)$/);
    if (!info || info[1] === "") continue;
    const start = i;
    let end = i + 1;
    while (end < lines.length && lines[end] !== "```") end++;
    if ((info[1] === "ts" || info[1] === "typescript") && !info[2]!.includes("fragment")) {
      out.push({ guide, line: start + 1, code: lines.slice(start + 1, end).join("\n") });
    }
    i = end;
  }
  return out;
}

/**
 * A snippet as a module whose default export runs it: import lines stay at the top, the body goes inside
 * an async function (so top-level `await` works and names don't leak between snippets).
 */
export function toModule(s: Snippet): string {
  const imports: string[] = [];
  const body: string[] = [];
  for (const line of s.code.split("\n")) (/^import\s/.test(line) ? imports : body).push(line);
  return [
    `// Generated from docs/${s.guide}:${s.line} by docs/test; do not edit.`,
    ...imports,
    "export default async function run(): Promise<void> {",
    ...body,
    "}",
    "",
  ].join("\n");
}

/**
 * Writes every snippet of every guide as a module under docs/.generated/<tag>/ (gitignored, outside the
 * tsconfig and lint inputs); `cleanup` removes it again.
 */
export function writeModules(tag: string): { snippet: Snippet; file: string; cleanup: () => void }[] {
  const root = `${docsDir}/.generated`;
  const dir = `${root}/${tag}`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const cleanup = () => {
    rmSync(dir, { recursive: true, force: true });
    if (existsSync(root) && readdirSync(root).length === 0) rmSync(root, { recursive: true, force: true });
  };
  return guides().flatMap((guide) =>
    snippets(guide).map((snippet) => {
      const file = `${dir}/${guide.replace(/\.md$/, "")}-${snippet.line}.ts`;
      writeFileSync(file, toModule(snippet));
      return { snippet, file, cleanup };
    }),
  );
}
