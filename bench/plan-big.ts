// `bun bench/plan-big.ts [bin]`: wall time and peak RSS of the compiled binary's `plan prd-20000.md
// --json` in a throwaway git repo, against their floors: a `cat` of the same PRD spawned the same way,
// and the peak RSS of the same binary's `version`; beside them, the peak RSS of a bare plan compiled the
// same way (the runtime's own floor for that work). Exits 1 when a figure is over its target.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { longPrd } from "./fixtures.ts";
import { compileBinary } from "../scripts/build-binary.ts";
import { type Measured, median, paired, spawnWall } from "./measure.ts";

const ROOT = resolve(import.meta.dir, "..");
const PRD = "prd-20000.md";
const PRD_LINES = 20_000;
const RUNS = 7;
export const PLAN_TARGET = { ms: 150, rssMb: 60 };

const GNU_TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;

/** Peak RSS in MB of one run of `argv` in `cwd`: GNU time's %M when present, else the child's rusage. */
export async function peakRssMb(argv: string[], cwd: string): Promise<number> {
  const proc = Bun.spawn(GNU_TIME ? [GNU_TIME, "-f", "LOKI_BENCH_RSS_KB=%M", ...argv] : argv, {
    cwd,
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const [stderr] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  if (proc.exitCode !== 0) throw new Error(`${argv.join(" ")} exited ${proc.exitCode}: ${stderr}`);
  const kb = GNU_TIME ? Number(/LOKI_BENCH_RSS_KB=(\d+)/.exec(stderr)?.[1] ?? Number.NaN) : (proc.resourceUsage()?.maxRSS ?? Number.NaN);
  return kb / 1024;
}

/**
 * The least any `plan` of this PRD does, as a program compiled by dist/loki's own build: read the PRD, split
 * it into lines, keep one small record (id, text, line) per list item, write them as two JSON files. Its
 * peak RSS is what this runtime needs for the work before any of loki's own (no parser, no schema, no quote):
 * printed beside the target, it shows how much of that figure is the runtime's own.
 */
const BARE_PLAN = `import { readFileSync, writeFileSync } from "node:fs";
const rows = readFileSync(process.argv[2], "utf8").split("\\n");
const items = [];
for (let i = 0; i < rows.length; i++) {
  const m = /^\\s*(?:[-*+]|\\d+[.)])\\s+(?:\\[[ xX]\\]\\s+)?(.*)$/.exec(rows[i]);
  if (m) items.push({ id: "ac-" + new Bun.CryptoHasher("sha256").update(m[1].toLowerCase()).digest("hex").slice(0, 10), text: m[1].trim(), line: i + 1 });
}
writeFileSync("bare-spec.json", JSON.stringify({ items }));
writeFileSync("bare-checklist.json", JSON.stringify({ items: items.map((item) => ({ ...item, status: "pending" })) }));
`;

/** The bare plan's peak RSS in MB on the PRD in `repo`, and the items it kept (as a check that it did the work). */
async function barePlanRss(repo: string): Promise<{ rssMb: number; items: number }> {
  const dir = mkdtempSync(join(tmpdir(), "loki-bench-bare-plan-"));
  try {
    writeFileSync(join(dir, "bare-plan.ts"), BARE_PLAN);
    await compileBinary(join(dir, "bare-plan.ts"), join(dir, "bare-plan"));
    const runs: number[] = [];
    for (let i = 0; i <= RUNS; i++) {
      const mb = await peakRssMb([join(dir, "bare-plan"), PRD], repo);
      if (i > 0) runs.push(mb);
    }
    const items = (JSON.parse(readFileSync(join(repo, "bare-spec.json"), "utf8")) as { items: unknown[] }).items.length;
    return { rssMb: median(runs), items };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A git repository in the OS temp dir holding only the PRD (plan reads it and writes .loki/ there). */
function throwawayRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), "loki-bench-plan-"));
  const init = Bun.spawnSync(["git", "init", "-q"], { cwd: dir, stdin: "ignore", stderr: "pipe" });
  if (init.exitCode !== 0) throw new Error(`git init: ${init.stderr.toString()}`);
  writeFileSync(join(dir, PRD), longPrd(PRD_LINES));
  return dir;
}

/** Wall ms (vs `cat` of the PRD) and peak RSS MB (vs `bin version`) of `bin plan prd-20000.md --json`,
 *  medians over RUNS runs after one warm-up, each figure and its floor measured alternately. */
export async function benchBigPlan(bin: string): Promise<{ wall: Measured; rss: Measured; bare: { rssMb: number; items: number } }> {
  const repo = throwawayRepo();
  try {
    const plan = [bin, "plan", PRD, "--json"];
    const wall = await paired(
      () => spawnWall(plan, repo),
      () => spawnWall(["cat", PRD], repo),
      RUNS,
    );
    const rss = await paired(
      () => peakRssMb(plan, repo),
      () => peakRssMb([bin, "version"], repo),
      RUNS,
    );
    return { wall, rss, bare: await barePlanRss(repo) };
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
}

/** The bare plan's figure as the bench prints it. */
export function barePlanLine(bare: { rssMb: number; items: number }): string {
  return `runtime floor for the RSS target: the bare plan (read, split, ${bare.items} records, two JSON files; no parser, no schema) peaks at ${bare.rssMb.toFixed(1)} MB`;
}

/** The compiled binary: `bun run build` writes dist/loki when it is missing. */
function compiledBinary(): string {
  const bin = join(ROOT, "dist", "loki");
  if (existsSync(bin)) return bin;
  const build = Bun.spawnSync([process.execPath, "run", "build"], { cwd: ROOT, stdin: "ignore", stdout: "inherit", stderr: "inherit" });
  if (build.exitCode !== 0 || !existsSync(bin)) throw new Error(`bun run build failed (exit ${build.exitCode})`);
  return bin;
}

if (import.meta.main) {
  const bin = process.argv[2] ? resolve(process.argv[2]) : compiledBinary();
  const { wall, rss, bare } = await benchBigPlan(bin);
  const verdict = (value: number, target: number) => (value <= target ? "ok" : "OVER TARGET");
  console.log(`${bin} plan ${PRD} --json (${PRD_LINES} lines, ${RUNS} runs)`);
  console.log(
    `  wall  median ${wall.median.toFixed(0).padStart(5)} ms  floor (cat PRD)      ${wall.floor.toFixed(1).padStart(5)} ms  ${(wall.median / wall.floor).toFixed(1)}×  target ≤ ${PLAN_TARGET.ms} ms  ${verdict(wall.median, PLAN_TARGET.ms)}`,
  );
  console.log(
    `  RSS   median ${rss.median.toFixed(1).padStart(5)} MB  floor (loki version) ${rss.floor.toFixed(1).padStart(5)} MB  ${(rss.median / rss.floor).toFixed(2)}×  target ≤ ${PLAN_TARGET.rssMb} MB  ${verdict(rss.median, PLAN_TARGET.rssMb)}`,
  );
  console.log(`  ${barePlanLine(bare)}`);
  if (wall.median > PLAN_TARGET.ms || rss.median > PLAN_TARGET.rssMb) process.exitCode = 1;
}
