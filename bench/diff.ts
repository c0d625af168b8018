// `bun bench/diff.ts`: how long readSubject takes on a big change — a 20,000-file repo and a commit
// rewriting 50 lines in each of 1,000 files (50,000 added lines). The repo lives in bench/.tmp/ and
// is reused between runs; benchDiff() returns the median for bench/run.ts.
import { readSubject } from "../src/gates/diff.ts";
import { BIG_REPO, CHANGED, CHANGED_LINES, median, prepareBigRepo } from "./util.ts";

const RUNS = 5;

/** Median wall time of readSubject over RUNS runs (after one warm-up), in milliseconds. */
export async function benchDiff(): Promise<number> {
  const base = prepareBigRepo();
  const times: number[] = [];
  for (let run = 0; run <= RUNS; run++) {
    const started = performance.now();
    const subject = await readSubject(BIG_REPO, base, { includeWorktree: false });
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
