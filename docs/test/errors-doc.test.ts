/**
 * docs/errors.md lists every error class typegrad throws, with its base class and a real message. This
 * test triggers each one and checks that the message appears verbatim in the guide, that the class
 * and base class in the guide's table are right, and that no `class ...Error` in packages/ (src) is
 * missing from the table.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as tg from "typegrad";
import { describe, expect, it } from "vitest";
import { docsDir, readGuide } from "./snippets.js";

const GUIDE = "errors.md";
const text = readGuide(GUIDE);

/** The error `fn` throws. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    if (e instanceof Error) return e;
    throw new Error(`threw a non-Error: ${String(e)}`);
  }
  throw new Error("nothing was thrown");
}

type Ctor = abstract new (...args: never[]) => Error;
interface Case {
  cls: Ctor;
  base: typeof TypeError | typeof RangeError | typeof Error;
  trigger: () => unknown;
  /** Rewrites the parts of the message that depend on where it ran (the anomaly call site). */
  normalize?: (e: Error) => string;
}

const badSquare = tg.defineOp({
  name: "badSquare",
  forward(ctx, x) {
    ctx.saveForBackward(x);
    return tg.nd.mul(x, x);
  },
  backward(ctx, g) {
    const [x] = ctx.saved as [tg.Tensor];
    return [g.mul(x)]; // forgot the factor 2
  },
});

/** The call-site line of anomaly messages in the guide shows this path instead of this test's. */
const SITE = "/path/to/your/train.ts:12:15";
const anomalySite = (e: Error) => e.message.replace((e as tg.AnomalyError).callSite ?? "?", SITE);

const cases: Record<string, Case[]> = {
  ShapeError: [
    { cls: tg.ShapeError, base: RangeError, trigger: () => tg.zeros([2, 3]).matmul(tg.zeros([4, 5])) },
    {
      cls: tg.ShapeError,
      base: RangeError,
      trigger: () => tg.mseLoss(tg.zeros([4, 1]), tg.zeros([4, 2])),
    },
  ],
  IndexError: [
    { cls: tg.IndexError, base: RangeError, trigger: () => tg.zeros([2, 3]).sum(2) },
    {
      cls: tg.IndexError,
      base: RangeError,
      trigger: () => tg.crossEntropy(tg.zeros([2, 3]), tg.tensor([0, 5], { dtype: "int32" })),
    },
  ],
  DTypeError: [
    { cls: tg.DTypeError, base: TypeError, trigger: () => tg.tensor([1, 2], { dtype: "int32", requiresGrad: true }) },
    { cls: tg.DTypeError, base: TypeError, trigger: () => tg.crossEntropy(tg.zeros([2, 3]), tg.tensor([0, 1])) },
  ],
  ArgumentError: [
    {
      cls: tg.ArgumentError,
      base: TypeError,
      trigger: () => new tg.SGD([new tg.Parameter([1, 2])], { lr: Number.NaN }),
    },
    {
      cls: tg.ArgumentError,
      base: TypeError,
      trigger: () => tg.tensor([1, 2], { requiresGrad: true }).mul_(2),
    },
  ],
  StateError: [
    {
      cls: tg.nd.StateError,
      base: TypeError,
      trigger: () => {
        const x = tg.tensor([1, 2], { requiresGrad: true });
        const y = x.mul(x).sum();
        y.backward();
        y.backward();
      },
    },
    {
      cls: tg.nd.StateError,
      base: TypeError,
      trigger: () => {
        const w = tg.tensor([1, 2, 3], { requiresGrad: true });
        const c = tg.tensor([1, 1, 1]);
        const y = w.mul(c).sum();
        c.add_(1);
        y.backward();
      },
    },
  ],
  AnomalyError: [
    {
      cls: tg.AnomalyError,
      base: TypeError,
      trigger: () => {
        const x = tg.tensor([1, -2, 3, -4], { requiresGrad: true });
        tg.detectAnomaly(() => x.mul(2).log());
      },
      normalize: anomalySite,
    },
    {
      cls: tg.AnomalyError,
      base: TypeError,
      trigger: () => {
        const x = tg.tensor([0, 1, 4], { requiresGrad: true });
        tg.detectAnomaly(() => x.sqrt().sum().backward());
      },
      normalize: anomalySite,
    },
  ],
  GradcheckError: [
    {
      cls: tg.GradcheckError,
      base: Error,
      trigger: () =>
        tg.gradcheck((x) => badSquare(x).sum(), [tg.tensor([1, 2, 3], { dtype: "float64", requiresGrad: true })]),
    },
  ],
  SafetensorsError: [
    { cls: tg.SafetensorsError, base: TypeError, trigger: () => tg.parseSafetensors(new Uint8Array([1, 0, 0, 0])) },
  ],
  StateDictError: [
    {
      cls: tg.StateDictError,
      base: TypeError,
      trigger: () => new tg.Linear(3, 2).loadStateDict({ weight: tg.nd.zeros([2, 3]) }),
    },
  ],
  CheckpointError: [
    {
      cls: tg.CheckpointError,
      base: TypeError,
      trigger: () => tg.parseCheckpoint(tg.serializeSafetensors({ w: tg.nd.zeros([1]) })),
    },
  ],
};

/** `class FooError` declarations in packages/<pkg>/src, recursively. */
function declaredErrorClasses(): Set<string> {
  const out = new Set<string>();
  const root = join(docsDir, "..", "packages");
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith(".ts")) {
        for (const m of readFileSync(p, "utf8").matchAll(/\bclass (\w+Error)\b/g)) out.add(m[1]!);
      }
    }
  };
  for (const pkg of readdirSync(root)) {
    const src = join(root, pkg, "src");
    try {
      walk(src);
    } catch {
      // a package without src/
    }
  }
  return out;
}

describe("docs/errors.md", () => {
  it("lists every error class declared in packages/*/src", () => {
    const documented = [...text.matchAll(/^\| \[?`(\w+Error)`/gm)].map((m) => m[1]!);
    expect(new Set(documented)).toEqual(declaredErrorClasses());
  });

  for (const [name, list] of Object.entries(cases)) {
    it(`${name}: base class in the table, and every example message verbatim`, () => {
      const base = list[0]!.base.name;
      const row = text.split("\n").find((l) => l.startsWith(`| [\`${name}\`]`) || l.startsWith(`| \`${name}\``));
      expect(row, `table row for ${name}`).toBeDefined();
      expect(row).toContain(`| \`${base}\` |`);
      for (const c of list) {
        const e = thrown(c.trigger);
        expect(e).toBeInstanceOf(c.cls);
        expect(e).toBeInstanceOf(c.base);
        expect(e.name).toBe(name);
        const message = c.normalize ? c.normalize(e) : e.message;
        expect(text.includes(message), `docs/${GUIDE} should contain:\n${message}`).toBe(true);
      }
    });
  }

  it("the anomaly call site really is the line of user code that called the op", () => {
    const e = thrown(() => {
      const x = tg.tensor([-1], { requiresGrad: true });
      tg.detectAnomaly(() => x.log());
    }) as tg.AnomalyError;
    expect(e.callSite).toMatch(/docs[\\/]test[\\/]errors-doc\.test\.ts:\d+:\d+$/);
    expect(e.message).toContain(`forward call site: ${e.callSite}`);
  });
});
