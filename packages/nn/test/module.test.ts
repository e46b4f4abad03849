/**
 * Module: parameter and child discovery with dotted names, train/eval, zeroGrad, stateDict and
 * loadStateDict (strict errors, all-or-nothing, casting), and Module.to(dtype).
 */
import { Tensor, tensor } from "@typegrad/autograd";
import * as nd from "@typegrad/tensor";
import { ShapeError } from "@typegrad/tensor";
import { describe, expect, it } from "vitest";
import { MultiHeadAttention } from "../src/attention.js";
import { Dropout, ReLU, Sequential, Tanh } from "../src/layers/basic.js";
import { Embedding } from "../src/layers/embedding.js";
import { Linear } from "../src/layers/linear.js";
import { LayerNorm } from "../src/layers/norm.js";
import { Module, StateDictError } from "../src/module.js";
import { Parameter } from "../src/parameter.js";

const values = (a: nd.NDArray | Tensor): number[] => Array.from((a instanceof Tensor ? a.data : a).toTypedArray());
const names = (m: Module): string[] => m.namedParameters().map(([n]) => n);

class Block extends Module {
  attn = new MultiHeadAttention(8, 2);
  ln = new LayerNorm(8);
  forward(x: Tensor): Tensor {
    const h = this.ln.forward(x);
    return this.attn.forward(h, h, h);
  }
}

class Model extends Module {
  embed = new Embedding(10, 8);
  blocks = [new Block(), new Block()];
  head = new Linear(8, 3);
  forward(ids: Tensor): Tensor {
    let x = this.embed.forward(ids);
    for (const b of this.blocks) x = b.forward(x);
    return this.head.forward(x);
  }
}

class Mlp extends Module {
  fc1 = new Linear(2, 3);
  fc2 = new Linear(3, 1);
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x).tanh());
  }
}

function throwsWith(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected the call to throw");
}

describe("Module discovery", () => {
  it("names parameters of fields and arrays with dotted paths in field order", () => {
    const m = new Model();
    const attn = ["qProj", "kProj", "vProj", "outProj"].flatMap((p) => [`attn.${p}.weight`, `attn.${p}.bias`]);
    const block = (i: number) => [...attn, "ln.weight", "ln.bias"].map((n) => `blocks.${i}.${n}`);
    expect(names(m)).toEqual(["embed.weight", ...block(0), ...block(1), "head.weight", "head.bias"]);
    expect(names(m)).toContain("blocks.0.attn.qProj.weight");
    const byName = new Map(m.namedParameters());
    expect(byName.get("blocks.1.attn.qProj.weight")).toBe(m.blocks[1]!.attn.qProj.weight);
    expect(byName.get("head.bias")).toBe(m.head.bias);
    expect(m.parameters()).toEqual(m.namedParameters().map(([, p]) => p));
  });

  it("is stable across calls and counts every scalar", () => {
    const m = new Model();
    expect(names(m)).toEqual(names(m));
    const perBlock = 4 * (8 * 8 + 8) + 8 + 8;
    expect(m.numParameters()).toBe(10 * 8 + 2 * perBlock + 8 * 3 + 3);
  });

  it("finds children and parameters held in Maps, keyed by the map key", () => {
    class Heads extends Module {
      heads = new Map<string, Linear>([
        ["cls", new Linear(4, 2)],
        ["reg", new Linear(4, 1, { bias: false })],
      ]);
      scale = new Map([["s", new Parameter([1.5])]]);
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    const m = new Heads();
    expect(names(m)).toEqual(["heads.cls.weight", "heads.cls.bias", "heads.reg.weight", "scale.s"]);
    expect(m.namedChildren().map(([n]) => n)).toEqual(["heads.cls", "heads.reg"]);
  });

  it("finds direct Parameters, nested arrays, and skips fields starting with _ and non-module values", () => {
    class Custom extends Module {
      w = new Parameter([[1, 2]]);
      layers = [[new Linear(1, 1)], [new ReLU(), new Linear(1, 1, { bias: false })]];
      _cache = new Linear(5, 5);
      _hidden = new Parameter([3]);
      plain = tensor([1, 2, 3], { requiresGrad: true }); // a Tensor, not a Parameter: not registered
      config = { inner: new Linear(2, 2) }; // plain objects are not searched
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    const m = new Custom();
    expect(names(m)).toEqual(["w", "layers.0.0.weight", "layers.0.0.bias", "layers.1.1.weight"]);
    expect(m.namedChildren().map(([n]) => n)).toEqual(["layers.0.0", "layers.1.0", "layers.1.1"]);
    expect(m.children()).toHaveLength(3);
  });

  it("lists a shared parameter once, under its first name", () => {
    class Tied extends Module {
      embed = new Embedding(5, 3);
      out = new Linear(3, 5, { bias: false });
      constructor() {
        super();
        this.out.weight = this.embed.weight;
      }
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    const m = new Tied();
    expect(names(m)).toEqual(["embed.weight"]);
    expect(m.parameters()).toHaveLength(1);
    const shared = new Linear(2, 2);
    class TwiceSame extends Module {
      a = shared;
      b = shared;
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    expect(names(new TwiceSame())).toEqual(["a.weight", "a.bias"]);
  });

  it("names Sequential children 0, 1, ... like torch", () => {
    const s = new Sequential(new Linear(2, 4), new Tanh(), new Linear(4, 1));
    expect(names(s)).toEqual(["0.weight", "0.bias", "2.weight", "2.bias"]);
    expect(s.namedChildren().map(([n]) => n)).toEqual(["0", "1", "2"]);
    class Wrapper extends Module {
      net = new Sequential(new Linear(1, 1), new Sequential(new Linear(1, 2)));
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    expect(names(new Wrapper())).toEqual(["net.0.weight", "net.0.bias", "net.1.0.weight", "net.1.0.bias"]);
  });

  it("namedModules lists the module itself and every descendant", () => {
    const m = new Mlp();
    expect(m.namedModules().map(([n]) => n)).toEqual(["", "fc1", "fc2"]);
    expect(m.namedModules()[1]![1]).toBe(m.fc1);
  });
});

describe("train / eval", () => {
  it("propagates to every descendant, including array and Sequential children", () => {
    class Net extends Module {
      blocks = [new Block(), new Block()];
      seq = new Sequential(new Dropout(0.5), new Sequential(new Dropout(0.1)));
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    const m = new Net();
    const all = m.namedModules().map(([, mod]) => mod);
    expect(all.length).toBe(1 + 2 * 7 + 4);
    expect(all.every((x) => x.training)).toBe(true);
    expect(m.eval()).toBe(m);
    expect(all.every((x) => !x.training)).toBe(true);
    m.train();
    expect(all.every((x) => x.training)).toBe(true);
    m.train(false);
    expect(all.every((x) => !x.training)).toBe(true);
    m.blocks[0]!.train();
    expect(m.training).toBe(false);
    expect(m.blocks[0]!.attn.qProj.training).toBe(true);
    expect(m.blocks[1]!.attn.qProj.training).toBe(false);
  });
});

describe("zeroGrad", () => {
  function withGrads(): Mlp {
    const m = new Mlp();
    m.forward(tensor([[1, 2]]))
      .sum()
      .backward();
    for (const p of m.parameters()) expect(p.grad).not.toBeNull();
    return m;
  }

  it("sets gradients to null by default", () => {
    const m = withGrads();
    m.zeroGrad();
    for (const p of m.parameters()) expect(p.grad).toBeNull();
  });

  it("with setToNone: false fills zeros of the right shape and dtype", () => {
    const m = withGrads();
    expect(values(m.fc2.weight.grad!).some((v) => v !== 0)).toBe(true);
    m.zeroGrad({ setToNone: false });
    for (const p of m.parameters()) {
      expect(p.grad).not.toBeNull();
      expect(p.grad!.shape).toEqual(p.shape);
      expect(p.grad!.dtype).toBe(p.dtype);
      expect(values(p.grad!).every((v) => v === 0)).toBe(true);
    }
    // gradients accumulate from zero again
    m.forward(tensor([[1, 2]]))
      .sum()
      .backward();
    const g1 = values(m.fc2.bias!.grad!);
    expect(g1).toEqual([1]);
  });
});

describe("stateDict", () => {
  it("returns copies keyed by parameter name", () => {
    const m = new Mlp();
    const sd = m.stateDict();
    expect(Object.keys(sd)).toEqual(["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]);
    expect(values(sd["fc1.weight"]!)).toEqual(values(m.fc1.weight));
    expect(sd["fc1.weight"]!.shape).toEqual([3, 2]);
    const before = values(m.fc1.weight);
    sd["fc1.weight"]!.data.fill(42);
    expect(values(m.fc1.weight)).toEqual(before);
    expect(sd["fc1.weight"]!.data).not.toBe(m.fc1.weight.data.data);
  });

  it("round-trips through loadStateDict into a fresh model", () => {
    const a = new Model();
    const b = new Model();
    expect(values(b.head.weight)).not.toEqual(values(a.head.weight));
    const res = b.loadStateDict(a.stateDict());
    expect(res).toEqual({ missing: [], unexpected: [] });
    for (const [n, p] of b.namedParameters()) expect(values(p)).toEqual(values(a.stateDict()[n]!));
    const ids = tensor([[1, 2, 3]], { dtype: "int32" });
    expect(values(b.forward(ids))).toEqual(values(a.forward(ids)));
  });

  it("keeps the same Parameter objects and copies the loaded values", () => {
    const m = new Mlp();
    const w = m.fc1.weight;
    const sd = new Mlp().stateDict();
    m.loadStateDict(sd);
    expect(m.fc1.weight).toBe(w);
    const loaded = values(w);
    sd["fc1.weight"]!.data.fill(7);
    expect(values(w)).toEqual(loaded);
  });

  it("accepts Tensors as values", () => {
    const m = new Linear(2, 1);
    m.loadStateDict({ weight: tensor([[3, 4]]), bias: tensor([5]) });
    expect(values(m.weight)).toEqual([3, 4]);
    expect(values(m.bias!)).toEqual([5]);
  });
});

describe("loadStateDict errors", () => {
  it("strict mode names every missing and unexpected key together, and loads nothing", () => {
    const m = new Mlp();
    const before = m.stateDict();
    const sd = new Mlp().stateDict();
    delete sd["fc1.bias"];
    delete sd["fc2.weight"];
    sd["fc3.weight"] = nd.zeros([1, 1]);
    sd.extra = nd.zeros([2]);
    const e = throwsWith(() => m.loadStateDict(sd));
    expect(e).toBeInstanceOf(StateDictError);
    expect(e.message).toMatch(/missing/);
    expect(e.message).toMatch(/unexpected/);
    for (const k of ["fc1.bias", "fc2.weight", "fc3.weight", "extra"]) expect(e.message).toContain(k);
    expect(e.message).not.toContain("fc1.weight");
    for (const [n, p] of m.namedParameters()) expect(values(p)).toEqual(values(before[n]!));
  });

  it("reports shape mismatches together with missing and unexpected keys, and loads nothing", () => {
    const m = new Mlp();
    const before = m.stateDict();
    const sd = new Mlp().stateDict();
    sd["fc1.weight"] = nd.zeros([2, 3]);
    delete sd["fc2.bias"];
    sd.bogus = nd.zeros([1]);
    const e = throwsWith(() => m.loadStateDict(sd));
    expect(e).toBeInstanceOf(RangeError);
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toContain("fc1.weight");
    expect(e.message).toContain("[2,3]");
    expect(e.message).toContain("[3,2]");
    expect(e.message).toContain("fc2.bias");
    expect(e.message).toContain("bogus");
    // fc1.bias and fc2.weight were valid, but nothing may be loaded when anything is wrong
    for (const [n, p] of m.namedParameters()) expect(values(p)).toEqual(values(before[n]!));
  });

  it("strict: false loads the matching subset and reports the rest", () => {
    const m = new Mlp();
    const before = m.stateDict();
    const src = new Mlp();
    const sd = src.stateDict();
    delete sd["fc2.weight"];
    sd.extra = nd.zeros([4]);
    const res = m.loadStateDict(sd, { strict: false });
    expect(res.missing).toEqual(["fc2.weight"]);
    expect(res.unexpected).toEqual(["extra"]);
    expect(values(m.fc1.weight)).toEqual(values(src.fc1.weight));
    expect(values(m.fc1.bias!)).toEqual(values(src.fc1.bias!));
    expect(values(m.fc2.bias!)).toEqual(values(src.fc2.bias!));
    expect(values(m.fc2.weight)).toEqual(values(before["fc2.weight"]!));
  });

  it("strict: false still refuses shape mismatches (like torch) and loads nothing", () => {
    const m = new Mlp();
    const before = m.stateDict();
    const sd = new Mlp().stateDict();
    sd["fc2.bias"] = nd.zeros([2]);
    expect(() => m.loadStateDict(sd, { strict: false })).toThrow(/fc2\.bias/);
    for (const [n, p] of m.namedParameters()) expect(values(p)).toEqual(values(before[n]!));
  });

  it("casts float64 state into float32 parameters", () => {
    const m = new Linear(2, 1);
    const w = nd.array([[0.1, 1 / 3]], { dtype: "float64" });
    m.loadStateDict({ weight: w, bias: nd.array([2.5], { dtype: "float64" }) });
    expect(m.weight.dtype).toBe("float32");
    expect(m.bias!.dtype).toBe("float32");
    expect(values(m.weight)).toEqual([Math.fround(0.1), Math.fround(1 / 3)]);
    expect(values(m.bias!)).toEqual([2.5]);
    expect(m.weight.requiresGrad).toBe(true);
  });

  it("casts float32 state into a float64 model", () => {
    const m = new Linear(2, 1).to("float64");
    m.loadStateDict({ weight: nd.array([[0.1, 0.2]]), bias: nd.array([0.3]) });
    expect(m.weight.dtype).toBe("float64");
    expect(values(m.weight)).toEqual([Math.fround(0.1), Math.fround(0.2)]);
  });
});

describe("Module.to", () => {
  it("converts every parameter in place, keeping the same objects and values", () => {
    const m = new Model();
    const before = m.namedParameters();
    const vals = before.map(([, p]) => values(p));
    expect(m.to("float64")).toBe(m);
    const after = m.namedParameters();
    expect(after.map(([n]) => n)).toEqual(before.map(([n]) => n));
    after.forEach(([, p], i) => {
      expect(p).toBe(before[i]![1]);
      expect(p.dtype).toBe("float64");
      expect(p.requiresGrad).toBe(true);
      expect(values(p)).toEqual(vals[i]);
    });
    expect(m.blocks[1]!.attn.outProj.weight.dtype).toBe("float64");
    const y = m.forward(tensor([[1, 2]], { dtype: "int32" }));
    expect(y.dtype).toBe("float64");
    m.to("float32");
    expect(m.parameters().every((p) => p.dtype === "float32")).toBe(true);
  });

  it("gradients after conversion flow into the converted parameters", () => {
    const m = new Mlp().to("float64");
    m.forward(tensor([[1, 2]], { dtype: "float64" }))
      .sum()
      .backward();
    for (const p of m.parameters()) expect(p.grad?.dtype).toBe("float64");
  });

  it("rejects non-float dtypes", () => {
    expect(() => new Mlp().to("int32")).toThrow(/float32 or float64/);
  });
});

describe("tied parameters in state dicts", () => {
  it("stateDict lists a tied parameter under every name, like torch, and loads back", () => {
    class Tied extends Module {
      a = new Linear(3, 3);
      b = new Linear(3, 3);
      constructor() {
        super();
        this.b.weight = this.a.weight;
      }
      forward(x: Tensor): Tensor {
        return this.b.forward(this.a.forward(x));
      }
    }
    const m = new Tied();
    expect(m.namedParameters().map(([n]) => n)).toEqual(["a.weight", "a.bias", "b.bias"]);
    const sd = m.stateDict();
    expect(Object.keys(sd)).toEqual(["a.weight", "a.bias", "b.weight", "b.bias"]);
    expect(() => new Tied().loadStateDict(sd)).not.toThrow();
  });
});
