// `bun bench/verify.ts`: wall time and peak RSS of the real `loki verify` CLI on a big change — a
// 20,000-file repo (no test runner) and a commit rewriting 50 lines in each of 1,000 files — against
// their floors: a plain `git diff --numstat` of the same change, and the RSS of a bare `bun -e 0`.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { gitDiffFloor, type Measured, median } from "./measure.ts";
import { BIG_REPO, CHANGED, CHANGED_LINES, FILES, prepareBigRepo } from "./util.ts";

const ROOT = resolve(import.meta.dir, "..");
const CLI = join(ROOT, "src", "cli.ts");
const RUNS = 5;
/** The gates the target names: no test runner, so build/tests/deps/heldout have nothing to run. */
export const BENCH_GATES = "diff,secrets,static,tamper,spec_drift";
export const TARGET = { ms: 1500, rssMb: 150 };

const GNU_TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;

type Evidence = {
  verdict: string;
  subject: { files: number; insertions: number };
  gates: { id: string; status: string; reason: string }[];
};

/** One run of `argv`: wall ms, peak RSS in MB (GNU time's %M when present, else the child's rusage), its output. */
async function measured(argv: string[]): Promise<{ ms: number; rssMb: number; exitCode: number | null; stdout: string; stderr: string }> {
  const started = performance.now();
  const proc = Bun.spawn(GNU_TIME ? [GNU_TIME, "-f", "LOKI_BENCH_RSS_KB=%M", ...argv] : argv, {
    cwd: BIG_REPO,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  const ms = performance.now() - started;
  const kb = GNU_TIME ? Number(/LOKI_BENCH_RSS_KB=(\d+)/.exec(stderr)?.[1] ?? Number.NaN) : (proc.resourceUsage()?.maxRSS ?? Number.NaN);
  return { ms, rssMb: kb / 1024, exitCode: proc.exitCode, stdout, stderr };
}

/** One `loki verify` run, checked: the change is the generated one and every gate passes. */
async function verifyOnce(base: string): Promise<{ ms: number; rssMb: number }> {
  const result = await measured([process.execPath, CLI, "verify", base, "--only", BENCH_GATES, "--json"]);
  if (result.exitCode === 3) throw new Error(`loki verify failed: ${result.stderr}`);
  const { subject, gates } = JSON.parse(result.stdout) as Evidence;
  if (subject.files !== CHANGED || subject.insertions !== CHANGED * CHANGED_LINES) {
    throw new Error(
      `bench: expected ${CHANGED} files / ${CHANGED * CHANGED_LINES} added lines, got ${subject.files} / ${subject.insertions}`,
    );
  }
  const broken = gates.filter((g) => g.status !== "pass" && g.status !== "skipped");
  if (broken.length > 0)
    throw new Error(
      `bench: every gate should pass on the generated change: ${broken.map((g) => `${g.id} ${g.status}: ${g.reason}`).join("; ")}`,
    );
  return result;
}

/** The RSS floor: the same runtime doing nothing, measured the same way. */
async function bareRuntimeRss(): Promise<number> {
  const result = await measured([process.execPath, "-e", "0"]);
  if (result.exitCode !== 0) throw new Error(`bun -e 0 exited ${result.exitCode}: ${result.stderr}`);
  return result.rssMb;
}

/** Wall and peak RSS of `loki verify` with their floors, medians over RUNS runs (after one warm-up).
 *  One loop for all four series: each verify run yields both figures, and load drift hits all alike. */
export async function benchVerify(): Promise<{ wall: Measured; rss: Measured }> {
  const base = prepareBigRepo();
  const series = { ms: [] as number[], rss: [] as number[], diffFloor: [] as number[], rssFloor: [] as number[] };
  for (let run = 0; run <= RUNS; run++) {
    const diffFloor = await gitDiffFloor(BIG_REPO, base);
    const rssFloor = await bareRuntimeRss();
    const result = await verifyOnce(base);
    if (run === 0) continue; // the first run warms git's and the OS's caches
    series.ms.push(result.ms);
    series.rss.push(result.rssMb);
    series.diffFloor.push(diffFloor);
    series.rssFloor.push(rssFloor);
  }
  return {
    wall: { median: median(series.ms), floor: median(series.diffFloor), runs: RUNS },
    rss: { median: median(series.rss), floor: median(series.rssFloor), runs: RUNS },
  };
}

if (import.meta.main) {
  const { wall, rss } = await benchVerify();
  const verdict = (value: number, target: number) => (value <= target ? "ok" : "OVER TARGET");
  console.log(
    `loki verify --only ${BENCH_GATES} (${CHANGED} files, ${CHANGED * CHANGED_LINES} added lines, ${FILES} files in the repo, ${RUNS} runs)`,
  );
  console.log(
    `  wall  median ${wall.median.toFixed(0).padStart(6)} ms  floor (git diff) ${wall.floor.toFixed(0).padStart(5)} ms  ${(wall.median / wall.floor).toFixed(1)}×  target ≤ ${TARGET.ms} ms   ${verdict(wall.median, TARGET.ms)}`,
  );
  console.log(
    `  RSS   median ${rss.median.toFixed(1).padStart(6)} MB  floor (bun -e 0)  ${rss.floor.toFixed(1).padStart(5)} MB  ${(rss.median / rss.floor).toFixed(1)}×  target ≤ ${TARGET.rssMb} MB   ${verdict(rss.median, TARGET.rssMb)}`,
  );
}
