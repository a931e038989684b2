// Medians with min and max, and ratios computed pair by pair (run i of A against run i of B).

/** Median, min and max of a list of numbers (null for an empty list). */
export function summarize(samples) {
  const xs = samples.filter((x) => typeof x === "number" && Number.isFinite(x)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = Math.floor(xs.length / 2);
  const median = xs.length % 2 === 1 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
  return { median, min: xs[0], max: xs[xs.length - 1], n: xs.length };
}

/**
 * Ratios of `a` to `b` for each repetition where both have a figure (the runs were interleaved, so
 * run i of each ran under the same conditions), summarized.
 */
export function pairedRatios(a, b) {
  const ratios = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (typeof x === "number" && typeof y === "number" && Number.isFinite(x) && Number.isFinite(y) && y !== 0) {
      ratios.push(x / y);
    }
  }
  return { ratios, summary: summarize(ratios) };
}
