/**
 * Runs every ```ts code block of the guides (except those tagged `fragment`), each as its own module, so
 * a sample that uses a renamed method or a wrong option fails here instead of in a reader's editor. A
 * sample states what must hold with `console.assert(cond, msg)`; a false one fails the test.
 * (docs-snippets-typecheck.test.ts typechecks the same modules.)
 *
 * Also: every relative link in the guides points at a file that exists and, when it has a `#anchor`, at
 * a heading of that file (GitHub's slug rules), so renaming a section can't leave dead links behind.
 */
import { existsSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it, vi } from "vitest";
import { docsDir, guides, readGuide, writeModules } from "./snippets.js";

const modules = writeModules("run");
afterAll(() => modules[0]?.cleanup());

describe("the ts code blocks in docs/ run", () => {
  it("are found in every guide", () => {
    expect(guides()).toEqual(
      expect.arrayContaining([
        "README.md",
        "autograd.md",
        "custom-losses.md",
        "getting-started.md",
        "losses.md",
        "optimizers.md",
        "saving-loading.md",
        "tensors.md",
      ]),
    );
    expect(modules.length).toBeGreaterThan(30);
  });

  for (const { snippet, file } of modules) {
    it(`${snippet.guide}:${snippet.line}`, async () => {
      const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
      const failed: string[] = [];
      const assert = vi.spyOn(console, "assert").mockImplementation((cond?: unknown, ...msg: unknown[]) => {
        if (!cond) failed.push(msg.map(String).join(" ") || "console.assert failed");
      });
      try {
        const mod = (await import(pathToFileURL(file).href)) as { default: () => Promise<void> };
        await mod.default();
      } finally {
        log.mockRestore();
        assert.mockRestore();
      }
      expect(failed).toEqual([]);
    });
  }
});

/** GitHub's heading anchor: lowercase, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, "")
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** The anchors a guide defines, outside code blocks. */
function anchors(guide: string): Set<string> {
  const out = new Set<string>();
  let inCode = false;
  for (const line of readGuide(guide).split("\n")) {
    if (line.startsWith("```")) inCode = !inCode;
    const m = !inCode && line.match(/^#{1,6}\s+(.*)$/);
    if (m) out.add(slug(m[1]!));
  }
  return out;
}

describe("links between the guides", () => {
  for (const guide of guides()) {
    it(`${guide}: every relative link resolves`, () => {
      const text = readGuide(guide).replace(/```[\s\S]*?```/g, "");
      const broken: string[] = [];
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target!)) continue; // external
        const [file, anchor] = target!.split("#");
        const path = file ? `${docsDir}/${file}` : `${docsDir}/${guide}`;
        if (!existsSync(path)) broken.push(`${target}: no such file`);
        else if (anchor && path.endsWith(".md") && !anchors(file || guide).has(anchor))
          broken.push(`${target}: no heading with that anchor`);
      }
      expect(broken).toEqual([]);
    });
  }
});
