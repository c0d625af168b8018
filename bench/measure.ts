// Timing for the benchmarks: the median, and a figure measured together with its floor (the
// physical lower bound of the same work on this machine), the two run alternately in one loop so
// that drift in the machine's load hits both series alike. Throws when a measured command fails.
import { run } from "../src/core/exec.ts";

/** A row's figure and its floor, both medians over `runs` runs (after the warm-up). */
export type Measured = { median: number; floor: number; runs: number };

/** One sample of a figure (ms, MB, MB/s…), sync or async. */
export type Sample = () => number | Promise<number>;

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Samples `floor` then `work`, `warmup + runs` times; the warm-up runs fill the page cache and the JIT. */
export async function paired(work: Sample, floor: Sample, runs: number, warmup = 1): Promise<Measured> {
  const works: number[] = [];
  const floors: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const f = await floor();
    const w = await work();
    if (i < warmup) continue;
    floors.push(f);
    works.push(w);
  }
  return { median: median(works), floor: median(floors), runs };
}

/** Wall ms of `fn`. */
export async function timed(fn: () => unknown): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/** Wall ms of one spawn of `argv` (the compiled binary and its floors), its output dropped or read through a pipe. */
export function spawnWall(argv: string[], cwd: string, stdout: "ignore" | "pipe" = "ignore"): number {
  const started = performance.now();
  const result = Bun.spawnSync(argv, { cwd, stdin: "ignore", stdout, stderr: "pipe" });
  const elapsed = performance.now() - started;
  if (result.exitCode !== 0) throw new Error(`${argv.join(" ")} exited ${result.exitCode}: ${result.stderr.toString()}`);
  return elapsed;
}

/** Wall ms of `argv` through core/exec, the spawn loki itself uses for git. */
export async function execWall(argv: string[], cwd: string, env: Record<string, string> = {}): Promise<number> {
  const started = performance.now();
  const result = await run(argv, { cwd, env, timeoutMs: 120_000 });
  const elapsed = performance.now() - started;
  if (!result.ok) throw new Error(`${argv.join(" ")} failed: ${result.digest || result.spawnError || `exit ${result.exitCode}`}`);
  return elapsed;
}

/** The floor of reading a change: one plain `git diff --numstat <base> HEAD` in the same repo. */
export function gitDiffFloor(repo: string, base: string): Promise<number> {
  return execWall(["git", "diff", "--numstat", base, "HEAD"], repo);
}
