import asciichart from "asciichart";

/** Downsamples a series to at most `width` points by averaging buckets. */
export function downsample(values: readonly number[], width: number): number[] {
  if (values.length <= width) return [...values];
  const out: number[] = [];
  const step = values.length / width;
  for (let i = 0; i < width; i++) {
    const from = Math.floor(i * step);
    const to = Math.max(from + 1, Math.floor((i + 1) * step));
    let s = 0;
    for (let j = from; j < to; j++) s += values[j] as number;
    out.push(s / (to - from));
  }
  return out;
}

/** A loss curve drawn in the terminal (log scale when it spans decades). */
export function terminalChart(
  series: Record<string, readonly number[]>,
  opts: { height?: number; width?: number; log?: boolean } = {},
): string {
  const names = Object.keys(series);
  const width = opts.width ?? 70;
  const log = opts.log ?? true;
  const data = names.map((n) =>
    downsample(series[n] as number[], width).map((v) => (log ? Math.log10(Math.max(v, 1e-12)) : v)),
  );
  const colors = [asciichart.blue, asciichart.green, asciichart.red, asciichart.magenta];
  const chart = asciichart.plot(data, {
    height: opts.height ?? 10,
    // Colours only on a terminal; CI logs get plain characters.
    ...(process.stdout.isTTY ? { colors: names.map((_, i) => colors[i % colors.length] as string) } : {}),
    format: (x: number) => (log ? (10 ** x).toPrecision(3) : x.toFixed(3)).padStart(9),
  });
  const legend = process.stdout.isTTY
    ? names.map((n, i) => `${["blue", "green", "red", "magenta"][i % 4]}: ${n}`).join("   ")
    : `series top to bottom at the start: ${names.join(", ")}`;
  return `${chart}\n${log ? "(log scale)  " : ""}${legend}`;
}
