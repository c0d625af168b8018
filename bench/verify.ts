// `bun bench/verify.ts`: wall time and peak RSS of the compiled `loki verify` on the big repository's
// changes (bench/util.ts: 20,000 files; 10, 1,000 or 10,000 files rewritten, 50 lines each) against
// their floors: a plain `git diff --numstat` of the same change, and the peak RSS of `loki version`.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { gitDiffFloor, type Measured, median } from "./measure.ts";
import { atChange, BIG_REPO, CHANGED_LINES, CHANGES, type Change, FILES } from "./util.ts";

const BIN = join(resolve(import.meta.dir, ".."), "dist", "loki");
/** The gates the targets name: no test runner, so build/tests/deps/heldout have nothing to run. */
export const BENCH_GATES = "diff,secrets,static,tamper,spec_drift";
/** Wall as a multiple of `git diff --numstat` (small and 1,000-file changes); peak RSS in MB. */
export const VERIFY_TARGETS = { smallRatio: 10, bigRatio: 6, bigRssMb: 150, hugeRssMb: 120 };

const GNU_TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;

type Evidence = {
  subject: { files: number; insertions: number };
  gates: { id: string; status: string; reason: string }[];
};

/** One run of `argv` in the big repo: wall ms, peak RSS in MB (GNU time's %M when present, else rusage), its output. */
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
async function verifyOnce(change: Change, base: string): Promise<{ ms: number; rssMb: number }> {
  const result = await measured([BIN, "verify", base, "--only", BENCH_GATES, "--json"]);
  if (result.exitCode === 3) throw new Error(`loki verify failed: ${result.stderr}`);
  const { subject, gates } = JSON.parse(result.stdout) as Evidence;
  const files = CHANGES[change];
  if (subject.files !== files || subject.insertions !== files * CHANGED_LINES)
    throw new Error(`bench: expected ${files} files / ${files * CHANGED_LINES} added lines, got ${subject.files} / ${subject.insertions}`);
  const broken = gates.filter((g) => g.status !== "pass" && g.status !== "skipped");
  if (broken.length > 0)
    throw new Error(
      `bench: every gate should pass on the generated change: ${broken.map((g) => `${g.id} ${g.status}: ${g.reason}`).join("; ")}`,
    );
  return result;
}

/** The RSS floor: the same binary doing the least it can, measured the same way. */
async function versionRss(): Promise<number> {
  const result = await measured([BIN, "version"]);
  if (result.exitCode !== 0) throw new Error(`loki version exited ${result.exitCode}: ${result.stderr}`);
  return result.rssMb;
}

/** Wall and peak RSS of `loki verify` on `change`, with their floors: medians over `runs` runs after
 *  one warm-up, all four series in one loop so that load drift hits them alike. Needs dist/loki. */
export async function benchVerify(change: Change, runs: number): Promise<{ wall: Measured; rss: Measured }> {
  const base = atChange(change);
  const series = { ms: [] as number[], rss: [] as number[], diffFloor: [] as number[], rssFloor: [] as number[] };
  for (let run = 0; run <= runs; run++) {
    const diffFloor = await gitDiffFloor(BIG_REPO, base);
    const rssFloor = await versionRss();
    const result = await verifyOnce(change, base);
    if (run === 0) continue; // the first run warms git's and the OS's caches
    series.ms.push(result.ms);
    series.rss.push(result.rssMb);
    series.diffFloor.push(diffFloor);
    series.rssFloor.push(rssFloor);
  }
  return {
    wall: { median: median(series.ms), floor: median(series.diffFloor), runs },
    rss: { median: median(series.rss), floor: median(series.rssFloor), runs },
  };
}

if (import.meta.main) {
  for (const change of Object.keys(CHANGES) as Change[]) {
    const { wall, rss } = await benchVerify(change, change === "huge" ? 3 : 7);
    console.log(`loki verify --only ${BENCH_GATES}: ${CHANGES[change]} of ${FILES} files, ${CHANGED_LINES} lines each`);
    console.log(
      `  wall ${wall.median.toFixed(0)} ms, floor (git diff --numstat) ${wall.floor.toFixed(1)} ms, ${(wall.median / wall.floor).toFixed(1)}×`,
    );
    console.log(
      `  RSS  ${rss.median.toFixed(1)} MB, floor (loki version) ${rss.floor.toFixed(1)} MB, ${(rss.median / rss.floor).toFixed(1)}×`,
    );
  }
}
