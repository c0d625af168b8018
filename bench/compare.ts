// `bun bench/compare.ts [rev]`: the previous release side by side with this checkout — both compiled
// binaries run alternately on the same machine, on the same fixtures, for what users wait for: startup,
// verify on the big repository's changes, plan on a 20,000-line PRD. Default rev: PREVIOUS_RELEASE.
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { longPrd } from "./fixtures.ts";
import { median, spawnWall } from "./measure.ts";
import { peakRssMb } from "./plan-big.ts";
import { atChange, BIG_REPO, type Change } from "./util.ts";
import { BENCH_GATES } from "./verify.ts";

/** The last tree released before the performance work: the state `main` had when #22 closed. */
export const PREVIOUS_RELEASE = "f09c676";
const ROOT = resolve(import.meta.dir, "..");
const TMP = join(ROOT, "bench", ".tmp");

/** dist/loki of `rev`, built once in a worktree under bench/.tmp/ with this checkout's node_modules. */
function binaryAt(rev: string): string {
  const sha = Bun.spawnSync(["git", "rev-parse", "--verify", `${rev}^{commit}`], { cwd: ROOT })
    .stdout.toString()
    .trim();
  if (!sha) throw new Error(`bench: ${rev} is not a commit here`);
  const dir = join(TMP, `release-${sha.slice(0, 12)}`);
  const bin = join(dir, "dist", "loki");
  if (existsSync(bin)) return bin;
  rmSync(dir, { recursive: true, force: true });
  Bun.spawnSync(["git", "worktree", "prune"], { cwd: ROOT });
  const added = Bun.spawnSync(["git", "worktree", "add", "--detach", dir, sha], { cwd: ROOT, stderr: "pipe" });
  if (added.exitCode !== 0) throw new Error(`git worktree add: ${added.stderr.toString()}`);
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  const build = Bun.spawnSync([process.execPath, "run", "build"], { cwd: dir, stdout: "ignore", stderr: "inherit" });
  if (build.exitCode !== 0 || !existsSync(bin)) throw new Error(`building ${rev} failed`);
  return bin;
}

type Side = { previous: number; now: number };
type Bins = { previous: string; now: string };

/** Medians of `sample` for both binaries, taken alternately `runs` times after one warm-up each. */
async function sideBySide(runs: number, sample: (bin: string) => number | Promise<number>, bins: Bins): Promise<Side> {
  const previous: number[] = [];
  const now: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const p = await sample(bins.previous);
    const n = await sample(bins.now);
    if (i === 0) continue;
    previous.push(p);
    now.push(n);
  }
  return { previous: median(previous), now: median(now) };
}

if (import.meta.main) {
  const rev = process.argv[2] ?? PREVIOUS_RELEASE;
  const bins: Bins = { previous: binaryAt(rev), now: join(ROOT, "dist", "loki") };
  if (!existsSync(bins.now)) throw new Error("bench: build this checkout first (bun run build)");
  const idle = mkdtempSync(join(tmpdir(), "loki-compare-"));
  Bun.spawnSync(["git", "init", "-q", idle]);
  writeFileSync(join(idle, "prd-20000.md"), longPrd(20_000));
  const rows: [string, string, Side][] = [];
  for (const [name, args] of [
    ["loki version", ["version"]],
    ["loki status --json (no run)", ["status", "--json"]],
    ["loki --help (to a pipe)", ["--help"]],
  ] as const)
    rows.push([`${name}, wall`, "ms", await sideBySide(30, (bin) => spawnWall([bin, ...args], idle, "pipe"), bins)]);
  for (const [change, runs] of [
    ["small", 9],
    ["feature", 5],
    ["huge", 2],
  ] as [Change, number][]) {
    const base = atChange(change);
    const verify = (bin: string) => [bin, "verify", base, "--only", BENCH_GATES, "--json"];
    rows.push([
      `loki verify, ${change} change, wall`,
      "ms",
      await sideBySide(runs, (bin) => spawnWall(verify(bin), BIG_REPO, "pipe"), bins),
    ]);
    if (change !== "small")
      rows.push([`loki verify, ${change} change, peak RSS`, "MB", await sideBySide(runs, (bin) => peakRssMb(verify(bin), BIG_REPO), bins)]);
  }
  const plan = (bin: string) => [bin, "plan", "prd-20000.md", "--json"];
  rows.push(["loki plan, 20,000-line PRD, wall", "ms", await sideBySide(5, (bin) => spawnWall(plan(bin), idle, "pipe"), bins)]);
  rows.push(["loki plan, 20,000-line PRD, peak RSS", "MB", await sideBySide(5, (bin) => peakRssMb(plan(bin), idle), bins)]);
  rmSync(idle, { recursive: true, force: true });
  console.log(`| measure | previous release (${rev}) | now | previous ÷ now |`);
  console.log("|---|---|---|---|");
  for (const [name, unit, { previous, now }] of rows)
    console.log(`| ${name} | ${previous.toFixed(1)} ${unit} | ${now.toFixed(1)} ${unit} | ${(previous / now).toFixed(2)}× |`);
}
