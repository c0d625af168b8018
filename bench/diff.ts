// `bun bench/diff.ts`: how long readSubject takes on a big change — a 20,000-file repo and a commit
// rewriting 50 lines in each of 1,000 files (50,000 added lines). The repo lives in bench/.tmp/ and
// is reused between runs; benchDiff() returns the median for bench/run.ts.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { readSubject } from "../src/gates/diff.ts";

const REPO = join(resolve(import.meta.dir, ".tmp"), "diff-repo");
const READY = join(REPO, ".git", "loki-bench-ready");
const FILES = 20_000;
const CHANGED = 1_000;
const LINES_PER_FILE = 60;
const CHANGED_LINES = 50;
const RUNS = 5;

// The developer's identity and signing settings must not matter (nor fail the commit).
const GIT = ["git", "-c", "user.name=loki-bench", "-c", "user.email=bench@loki.invalid", "-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null"];

function git(args: string[]): string {
  const result = Bun.spawnSync([...GIT, ...args], { cwd: REPO, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr.toString()}`);
  return result.stdout.toString().trim();
}

const fileName = (i: number) => join(`pkg${String(Math.floor(i / 100)).padStart(3, "0")}`, `mod${String(i).padStart(5, "0")}.ts`);

function body(i: number, changed: boolean): string {
  const lines: string[] = [];
  for (let n = 0; n < LINES_PER_FILE; n++) {
    const edited = changed && n < CHANGED_LINES;
    lines.push(`export const value_${i}_${n} = ${edited ? `compute(${n}, "rewritten")` : n}; // line ${n}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Builds the repo once; returns the base sha (the commit before the big change). */
function prepare(): string {
  if (existsSync(READY)) return readFileSync(READY, "utf8").trim();
  rmSync(REPO, { recursive: true, force: true });
  mkdirSync(REPO, { recursive: true });
  git(["init", "-q"]);
  for (let i = 0; i < FILES; i++) {
    const file = join(REPO, fileName(i));
    if (i % 100 === 0) mkdirSync(join(file, ".."), { recursive: true });
    writeFileSync(file, body(i, false));
  }
  git(["add", "-A"]);
  git(["commit", "-qm", "base: 20,000 files"]);
  const base = git(["rev-parse", "HEAD"]);
  // Spread the change across the tree rather than one directory.
  for (let k = 0; k < CHANGED; k++) {
    const i = k * (FILES / CHANGED);
    writeFileSync(join(REPO, fileName(i)), body(i, true));
  }
  git(["commit", "-qam", "change: 1,000 files, 50,000 lines"]);
  writeFileSync(READY, `${base}\n`);
  return base;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Median wall time of readSubject over RUNS runs (after one warm-up), in milliseconds. */
export async function benchDiff(): Promise<number> {
  const base = prepare();
  const times: number[] = [];
  for (let run = 0; run <= RUNS; run++) {
    const started = performance.now();
    const subject = await readSubject(REPO, base, { includeWorktree: false });
    const elapsed = performance.now() - started;
    const added = subject.files.reduce((sum, f) => sum + f.added.length, 0);
    if (subject.files.length !== CHANGED || added !== CHANGED * CHANGED_LINES) {
      throw new Error(`bench: expected ${CHANGED} files / ${CHANGED * CHANGED_LINES} added lines, got ${subject.files.length} / ${added}`);
    }
    if (run > 0) times.push(elapsed); // the first run warms git's and the OS's caches
  }
  return median(times);
}

if (import.meta.main) {
  const ms = await benchDiff();
  console.log(`diff subject: median ${ms.toFixed(1)} ms (${CHANGED} files, ${CHANGED * CHANGED_LINES} added lines, ${RUNS} runs)`);
}
