import type { Rng } from "typegrad";

export interface Points {
  x: number[][];
  y: number[];
}

/** Two interleaving half circles with Gaussian noise (scikit-learn's make_moons). */
export function twoMoons(n: number, noise: number, rng: Rng): Points {
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    const t = Math.PI * rng.next();
    const px = label === 0 ? Math.cos(t) : 1 - Math.cos(t);
    const py = label === 0 ? Math.sin(t) : 0.5 - Math.sin(t);
    x.push([px + noise * rng.normal(), py + noise * rng.normal()]);
    y.push(label);
  }
  return { x, y };
}

/** `classes` interleaved spiral arms (the CS231n toy problem). */
export function spirals(nPerClass: number, classes: number, noise: number, rng: Rng): Points {
  const x: number[][] = [];
  const y: number[] = [];
  for (let c = 0; c < classes; c++) {
    for (let i = 0; i < nPerClass; i++) {
      const r = i / nPerClass;
      const t = c * 4 + 4 * r + noise * rng.normal();
      x.push([r * Math.sin(t) * 2, r * Math.cos(t) * 2]);
      y.push(c);
    }
  }
  return { x, y };
}
