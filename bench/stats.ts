/** Percentile of a sample (nearest rank). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export interface Summary {
  name: string;
  n: number;
  p50: number;
  p99: number;
}

export function summarize(name: string, samplesMs: number[]): Summary {
  return { name, n: samplesMs.length, p50: percentile(samplesMs, 50), p99: percentile(samplesMs, 99) };
}

/** Runs `fn` `n` times sequentially and returns each duration in ms. */
export async function timeEach(n: number, fn: (i: number) => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    out.push(performance.now() - t);
  }
  return out;
}

export function printTable(title: string, rows: Summary[], baseline: Summary): void {
  console.log(`\n## ${title}`);
  console.log(
    `baseline: ${baseline.name} (p50 ${baseline.p50.toFixed(3)} ms, p99 ${baseline.p99.toFixed(3)} ms)`,
  );
  console.log("| measurement | n | p50 ms | p99 ms | p50 × baseline | p99 × baseline |");
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${r.n} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} | ${(r.p50 / baseline.p50).toFixed(2)} | ${(r.p99 / baseline.p99).toFixed(2)} |`,
    );
  }
}
