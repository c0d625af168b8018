// `bun bench/verify.ts`: wall time and peak RSS of the real `loki verify` CLI on a big change — a
// 20,000-file repo (no test runner) and a commit rewriting 50 lines in each of 1,000 files. The repo
// lives in bench/.tmp/big-repo and is reused; benchVerify() returns the medians for bench/run.ts.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { BIG_REPO, CHANGED, CHANGED_LINES, FILES, median, prepareBigRepo } from "./util.ts";

const ROOT = resolve(import.meta.dir, "..");
const CLI = join(ROOT, "src", "cli.ts");
const RUNS = 5;
/** The gates the target names: no test runner, so build/tests/deps/heldout have nothing to run. */
export const BENCH_GATES = "diff,secrets,static,tamper,spec_drift";
export const TARGET = { ms: 1500, rssMb: 150 };


const GNU_TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;

/** One CLI run: wall ms and peak RSS in MB (GNU time's %M when present, else the child's rusage). */
async function once(base: string): Promise<{ ms: number; rssMb: number; evidence: { verdict: string; subject: { files: number; insertions: number }; gates: { id: string; status: string; reason: string }[] } }> {
  const argv = [process.execPath, CLI, "verify", base, "--only", BENCH_GATES, "--json"];
  const started = performance.now();
  const proc = Bun.spawn(GNU_TIME ? [GNU_TIME, "-f", "LOKI_BENCH_RSS_KB=%M", ...argv] : argv, { cwd: BIG_REPO, stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  const ms = performance.now() - started;
  if (proc.exitCode === 3) throw new Error(`loki verify failed: ${stderr}`);
  const kb = GNU_TIME ? Number(/LOKI_BENCH_RSS_KB=(\d+)/.exec(stderr)?.[1] ?? Number.NaN) : (proc.resourceUsage()?.maxRSS ?? Number.NaN);
  return { ms, rssMb: kb / 1024, evidence: JSON.parse(stdout) };
}

/** Median wall time and peak RSS of `loki verify` over RUNS runs (after one warm-up). */
export async function benchVerify(): Promise<{ ms: number; rssMb: number }> {
  const base = prepareBigRepo();
  const times: number[] = [];
  const rss: number[] = [];
  for (let run = 0; run <= RUNS; run++) {
    const result = await once(base);
    const { subject, gates } = result.evidence;
    if (subject.files !== CHANGED || subject.insertions !== CHANGED * CHANGED_LINES) {
      throw new Error(`bench: expected ${CHANGED} files / ${CHANGED * CHANGED_LINES} added lines, got ${subject.files} / ${subject.insertions}`);
    }
    const broken = gates.filter((g) => g.status !== "pass" && g.status !== "skipped");
    if (broken.length > 0) throw new Error(`bench: every gate should pass on the generated change: ${broken.map((g) => `${g.id} ${g.status}: ${g.reason}`).join("; ")}`);
    if (run > 0) {
      times.push(result.ms);
      rss.push(result.rssMb);
    }
  }
  return { ms: median(times), rssMb: median(rss) };
}

if (import.meta.main) {
  const { ms, rssMb } = await benchVerify();
  const verdict = (value: number, target: number) => (value <= target ? "ok" : "OVER TARGET");
  console.log(`loki verify --only ${BENCH_GATES} (${CHANGED} files, ${CHANGED * CHANGED_LINES} added lines, ${FILES} files in the repo, ${RUNS} runs)`);
  console.log(`  wall  median ${ms.toFixed(0).padStart(6)} ms  target ≤ ${TARGET.ms} ms   ${verdict(ms, TARGET.ms)}`);
  console.log(`  RSS   median ${rssMb.toFixed(1).padStart(6)} MB  target ≤ ${TARGET.rssMb} MB   ${verdict(rssMb, TARGET.rssMb)}`);
}
