import { ArgumentError, describeValue, fmtShape } from "@typegrad/tensor";
import { topoOrder } from "./engine.js";
import { Tensor } from "./tensor.js";

interface GraphItem {
  id: string;
  label: string;
  kind: "op" | "leaf" | "param" | "output";
  inputs: string[];
}

/** The graph behind `output` as a list of ops and leaves, outputs last. */
function describe(op: string, output: Tensor): GraphItem[] {
  if (!(output instanceof Tensor))
    throw new ArgumentError(`${op}: expected an output Tensor, got ${describeValue(output)}`);
  const order = topoOrder(output).reverse();
  const ids = new Map<Tensor, string>();
  order.forEach((t, i) => {
    ids.set(t, `n${i}`);
  });
  return order.map((t) => {
    const shape = fmtShape(t.shape);
    const node = t.gradFn;
    if (!node) {
      const isParam = t.constructor.name === "Parameter";
      const title = t.name ?? (isParam ? "parameter" : "leaf");
      return { id: ids.get(t)!, label: `${title} ${shape} ${t.dtype}`, kind: isParam ? "param" : "leaf", inputs: [] };
    }
    return {
      id: ids.get(t)!,
      label: `${node.name} → ${shape}`,
      kind: t === output ? "output" : "op",
      inputs: node.inputs.filter((x) => ids.has(x)).map((x) => ids.get(x)!),
    };
  });
}

/**
 * Graphviz DOT text of the graph backward will walk from `output`: one box per op (name and output
 * shape), ellipses for leaves, parameters highlighted.
 *
 * @example
 * ```ts
 * console.log(toDot(loss)); // paste into `dot -Tsvg`
 * ```
 */
export function toDot(output: Tensor): string {
  const lines = ["digraph typegrad {", "  rankdir=BT;", '  node [fontname="Helvetica", fontsize=10];'];
  for (const item of describe("toDot", output)) {
    const style =
      item.kind === "op"
        ? "shape=box"
        : item.kind === "output"
          ? 'shape=box, style=filled, fillcolor="#fde68a"'
          : item.kind === "param"
            ? 'shape=ellipse, style=filled, fillcolor="#bfdbfe"'
            : "shape=ellipse";
    lines.push(`  ${item.id} [label=${JSON.stringify(item.label)}, ${style}];`);
    for (const input of item.inputs) lines.push(`  ${input} -> ${item.id};`);
  }
  lines.push("}");
  return lines.join("\n");
}

/**
 * Mermaid flowchart text of the same graph (renders in GitHub Markdown inside a ```mermaid block).
 *
 * @example
 * ```ts
 * console.log(toMermaid(loss));
 * ```
 */
export function toMermaid(output: Tensor): string {
  const lines = ["flowchart BT"];
  const esc = (s: string) => s.replace(/"/g, "'");
  const items = describe("toMermaid", output);
  for (const item of items) {
    const label = `"${esc(item.label)}"`;
    lines.push(item.kind === "op" || item.kind === "output" ? `  ${item.id}[${label}]` : `  ${item.id}([${label}])`);
    for (const input of item.inputs) lines.push(`  ${input} --> ${item.id}`);
  }
  lines.push("  classDef param fill:#bfdbfe;", "  classDef output fill:#fde68a;");
  for (const item of items)
    if (item.kind === "param" || item.kind === "output") lines.push(`  class ${item.id} ${item.kind};`);
  return lines.join("\n");
}
