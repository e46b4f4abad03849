/**
 * Typechecks every ```ts code block of the guides against the real API, with the repository's
 * tsconfig.json settings (docs-snippets.test.ts runs them).
 */
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { docsDir, writeModules } from "./snippets.js";

const modules = writeModules("typecheck");
afterAll(() => modules[0]?.cleanup());

describe("the ts code blocks in docs/", () => {
  it("typecheck against the real API", () => {
    const config = ts.getParsedCommandLineOfConfigFile(`${docsDir}/../tsconfig.json`, undefined, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      },
    });
    if (!config) throw new Error("cannot read tsconfig.json");
    const program = ts.createProgram(
      modules.map((m) => m.file),
      { ...config.options, noEmit: true },
    );
    // Only the snippets' own diagnostics: checking them pulls in just the API types they use.
    const problems = modules.flatMap(({ snippet, file }) => {
      const sf = program.getSourceFile(file);
      if (!sf) return [`${file}: not compiled`];
      return [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)].map((d) => {
        const line = d.start === undefined ? 0 : sf.getLineAndCharacterOfPosition(d.start).line + 1;
        const text = ts.flattenDiagnosticMessageText(d.messageText, " ");
        return `docs/${snippet.guide}, block at line ${snippet.line} (generated line ${line}): ${text}`;
      });
    });
    expect(problems).toEqual([]);
  });
});
