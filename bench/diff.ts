// `bun bench/diff.ts`: how long readSubject takes on a big change — a 20,000-file repo and a commit
// rewriting 50 lines in each of 1,000 files (50,000 added lines) — against its floor, one plain
// `git diff --numstat <base> HEAD` on the same repo. The repo lives in bench/.tmp/ and is reused.
import { readSubject } from "../src/gates/diff.ts";
import { gitDiffFloor, type Measured, paired } from "./measure.ts";
import { atChange, BIG_REPO, CHANGED, CHANGED_LINES } from "./util.ts";

const RUNS = 5;

async function readOnce(base: string): Promise<number> {
  const started = performance.now();
  const subject = await readSubject(BIG_REPO, base, { includeWorktree: false });
  const elapsed = performance.now() - started;
  const added = subject.files.reduce((sum, f) => sum + f.added.length, 0);
  if (subject.files.length !== CHANGED || added !== CHANGED * CHANGED_LINES) {
    throw new Error(`bench: expected ${CHANGED} files / ${CHANGED * CHANGED_LINES} added lines, got ${subject.files.length} / ${added}`);
  }
  return elapsed;
}

/** Median wall ms of readSubject and of its git floor over RUNS runs (after one warm-up each). */
export function benchDiff(): Promise<Measured> {
  const base = atChange("feature");
  return paired(
    () => readOnce(base),
    () => gitDiffFloor(BIG_REPO, base),
    RUNS,
  );
}

if (import.meta.main) {
  const m = await benchDiff();
  console.log(
    `diff subject: median ${m.median.toFixed(1)} ms, floor (git diff --numstat) ${m.floor.toFixed(1)} ms, ${(m.median / m.floor).toFixed(1)}× (${CHANGED} files, ${CHANGED * CHANGED_LINES} added lines, ${RUNS} runs)`,
  );
}
