import cliProgress from "cli-progress";

/** A progress reporter: a live bar on a TTY, a few plain lines otherwise (CI logs). */
export interface Progress {
  update(step: number, info: Record<string, number>): void;
  stop(): void;
}

/** Starts a progress bar over `total` steps showing loss and steps/s; `quiet` prints nothing. */
export function progress(label: string, total: number, opts: { quiet?: boolean } = {}): Progress {
  const start = performance.now();
  if (opts.quiet) return { update() {}, stop() {} };
  const fmt = (info: Record<string, number>) =>
    Object.entries(info)
      .map(([k, v]) => `${k} ${Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(2) : v.toFixed(4)}`)
      .join("  ");
  if (!process.stdout.isTTY) {
    const every = Math.max(1, Math.ceil(total / 5));
    return {
      update(step, info) {
        if (step % every === 0 || step === total) {
          const rate = step / ((performance.now() - start) / 1000);
          console.log(`${label} ${step}/${total}  ${fmt(info)}  ${rate.toFixed(1)} steps/s`);
        }
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {value}/{total}  {info}  {rate} steps/s`, hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { info: "", rate: "0" });
  return {
    update(step, info) {
      const rate = step / ((performance.now() - start) / 1000);
      bar.update(step, { info: fmt(info), rate: rate.toFixed(1) });
    },
    stop() {
      bar.stop();
    },
  };
}
