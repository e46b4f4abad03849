import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

const PALETTE = ["#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c", "#0891b2"];

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Writes `svg` to `path`, creating folders. */
export function writeSvg(path: string, svg: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, svg);
}

function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const step = 10 ** Math.floor(Math.log10((hi - lo) / n));
  const mult = [1, 2, 5, 10].find((m) => (hi - lo) / (step * m) <= n) ?? 10;
  const s = step * mult;
  const out: number[] = [];
  for (let t = Math.ceil(lo / s) * s; t <= hi + 1e-12; t += s) out.push(Number(t.toPrecision(12)));
  return out;
}

/** Line chart of named series (e.g. loss curves) as an SVG string; `logY` plots log10. */
export function lineChartSvg(
  title: string,
  series: Record<string, readonly number[]>,
  opts: { logY?: boolean; xLabel?: string; yLabel?: string } = {},
): string {
  const W = 640;
  const H = 400;
  const m = { l: 70, r: 20, t: 40, b: 50 };
  const tf = (v: number) => (opts.logY ? Math.log10(Math.max(v, 1e-12)) : v);
  const all = Object.values(series)
    .flatMap((s) => s.map(tf))
    .filter(Number.isFinite);
  const yLo = Math.min(...all);
  const yHi = Math.max(...all);
  const n = Math.max(...Object.values(series).map((s) => s.length));
  const x = (i: number) => m.l + ((W - m.l - m.r) * i) / Math.max(1, n - 1);
  const y = (v: number) => H - m.b - ((H - m.t - m.b) * (tf(v) - yLo)) / (yHi - yLo || 1);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
  ];
  parts.push(
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`,
  );
  for (const t of niceTicks(yLo, yHi)) {
    const yy = H - m.b - ((H - m.t - m.b) * (t - yLo)) / (yHi - yLo || 1);
    parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${yy}" y2="${yy}" stroke="#e5e7eb"/>`);
    parts.push(`<text x="${m.l - 6}" y="${yy + 4}" text-anchor="end">${opts.logY ? `1e${t}` : t}</text>`);
  }
  parts.push(
    `<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${H - m.b}" stroke="black"/>`,
    `<line x1="${m.l}" x2="${W - m.r}" y1="${H - m.b}" y2="${H - m.b}" stroke="black"/>`,
  );
  parts.push(`<text x="${W / 2}" y="${H - 12}" text-anchor="middle">${esc(opts.xLabel ?? "step")}</text>`);
  parts.push(
    `<text x="16" y="${H / 2}" text-anchor="middle" transform="rotate(-90 16 ${H / 2})">${esc(opts.yLabel ?? (opts.logY ? "loss (log scale)" : "loss"))}</text>`,
  );
  Object.entries(series).forEach(([name, s], k) => {
    const color = PALETTE[k % PALETTE.length];
    const pts = s.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${pts}"/>`);
    parts.push(`<rect x="${W - m.r - 150}" y="${m.t + 8 + 18 * k}" width="12" height="12" fill="${color}"/>`);
    parts.push(`<text x="${W - m.r - 132}" y="${m.t + 18 + 18 * k}">${esc(name)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}

/**
 * Decision regions of a 2-d classifier plus the data points, as an SVG string.
 * `classify(xs, ys)` returns the predicted class of each grid point.
 */
export function decisionBoundarySvg(
  title: string,
  points: { x: number; y: number; label: number }[],
  classify: (xs: number[], ys: number[]) => number[],
  opts: { resolution?: number } = {},
): string {
  const W = 480;
  const H = 480;
  const res = opts.resolution ?? 80;
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const pad = 0.5;
  const [x0, x1] = [Math.min(...xs) - pad, Math.max(...xs) + pad];
  const [y0, y1] = [Math.min(...ys) - pad, Math.max(...ys) + pad];
  const gx: number[] = [];
  const gy: number[] = [];
  for (let j = 0; j < res; j++)
    for (let i = 0; i < res; i++) {
      gx.push(x0 + ((i + 0.5) * (x1 - x0)) / res);
      gy.push(y1 - ((j + 0.5) * (y1 - y0)) / res);
    }
  const pred = classify(gx, gy);
  const cw = W / res;
  const ch = H / res;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H + 30}" font-family="sans-serif" font-size="13">`,
    `<rect width="${W}" height="${H + 30}" fill="white"/>`,
  ];
  // One rectangle per run of equal predictions in a grid row keeps the file small.
  for (let j = 0; j < res; j++) {
    let i = 0;
    while (i < res) {
      const cls = pred[j * res + i] as number;
      let end = i + 1;
      while (end < res && pred[j * res + end] === cls) end++;
      parts.push(
        `<rect x="${(i * cw).toFixed(1)}" y="${(30 + j * ch).toFixed(1)}" width="${((end - i) * cw + 0.5).toFixed(1)}" height="${(ch + 0.5).toFixed(1)}" fill="${PALETTE[cls % PALETTE.length]}" fill-opacity="0.18"/>`,
      );
      i = end;
    }
  }
  for (const p of points) {
    const px = ((p.x - x0) / (x1 - x0)) * W;
    const py = 30 + ((y1 - p.y) / (y1 - y0)) * H;
    parts.push(
      `<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="3" fill="${PALETTE[p.label % PALETTE.length]}" stroke="black" stroke-width="0.4"/>`,
    );
  }
  parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="15">${esc(title)}</text>`, "</svg>");
  return parts.join("\n");
}

/** Scatter of data points with fitted curves over them (e.g. regression fits), as an SVG string. */
export function fitPlotSvg(
  title: string,
  points: { x: number; y: number; outlier?: boolean }[],
  curves: Record<string, { x: number; y: number }[]>,
): string {
  const W = 640;
  const H = 420;
  const m = { l: 50, r: 20, t: 40, b: 40 };
  const allX = points.map((p) => p.x);
  const allY = [...points.map((p) => p.y), ...Object.values(curves).flatMap((c) => c.map((p) => p.y))];
  const [x0, x1] = [Math.min(...allX), Math.max(...allX)];
  const [y0, y1] = [Math.min(...allY), Math.max(...allY)];
  const sx = (v: number) => m.l + ((W - m.l - m.r) * (v - x0)) / (x1 - x0 || 1);
  const sy = (v: number) => H - m.b - ((H - m.t - m.b) * (v - y0)) / (y1 - y0 || 1);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
  ];
  parts.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`);
  for (const p of points) {
    parts.push(
      `<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="2.5" fill="${p.outlier ? "#f97316" : "#9ca3af"}"/>`,
    );
  }
  Object.entries(curves).forEach(([name, c], k) => {
    const color = PALETTE[k % PALETTE.length];
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${c.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(" ")}"/>`,
    );
    parts.push(
      `<rect x="${m.l + 10}" y="${m.t + 6 + 18 * k}" width="12" height="12" fill="${color}"/>`,
      `<text x="${m.l + 28}" y="${m.t + 16 + 18 * k}">${esc(name)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n");
}
