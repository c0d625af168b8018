// Shared benchmark fixture: the big repository (20,000 files) and three changes on branches of its base
// commit, each rewriting 50 lines in each of N files — small (10 files), feature (1,000) and huge
// (10,000) — built once in bench/.tmp/ and reused by the diff and verify rows.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const BIG_REPO = join(resolve(import.meta.dir, ".tmp"), "big-repo");
const READY = join(BIG_REPO, ".git", "loki-bench-ready-3");
export const FILES = 20_000;
export const CHANGED = 1_000;
/** The changes, by branch: how many files each rewrites (spread evenly over the repository). */
export const CHANGES = { small: 10, feature: CHANGED, huge: 10_000 } as const;
export type Change = keyof typeof CHANGES;
const LINES_PER_FILE = 60;
export const CHANGED_LINES = 50;
const REPO = BIG_REPO;

// The developer's identity and signing settings must not matter (nor fail the commit).
const GIT = [
  "git",
  "-c",
  "user.name=loki-bench",
  "-c",
  "user.email=bench@loki.invalid",
  "-c",
  "commit.gpgsign=false",
  "-c",
  "core.hooksPath=/dev/null",
];

function git(args: string[]): string {
  const result = Bun.spawnSync([...GIT, ...args], { cwd: REPO, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr.toString()}`);
  return result.stdout.toString().trim();
}

const fileName = (i: number) => join(`pkg${String(Math.floor(i / 100)).padStart(3, "0")}`, `mod${String(i).padStart(5, "0")}.ts`);

function body(i: number, changed: boolean): string {
  const lines = [`import { compute } from "../lib/compute.ts";`];
  for (let n = 1; n < LINES_PER_FILE; n++) {
    const edited = changed && n <= CHANGED_LINES;
    lines.push(`export const value_${i}_${n} = ${edited ? `compute(${n}, "rewritten ${i}")` : n}; // line ${n}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Builds the repo once; returns the base sha (the commit every change branches from). */
export function prepareBigRepo(): string {
  if (existsSync(READY)) return readFileSync(READY, "utf8").trim();
  rmSync(REPO, { recursive: true, force: true });
  mkdirSync(join(REPO, "lib"), { recursive: true });
  git(["init", "-q", "-b", "main"]);
  writeFileSync(join(REPO, "lib", "compute.ts"), "export const compute = (n: number, tag: string): string => `${tag}:${n}`;\n");
  for (let i = 0; i < FILES; i++) {
    const file = join(REPO, fileName(i));
    if (i % 100 === 0) mkdirSync(join(file, ".."), { recursive: true });
    writeFileSync(file, body(i, false));
  }
  git(["add", "-A"]);
  git(["commit", "-qm", "base: 20,000 files"]);
  const base = git(["rev-parse", "HEAD"]);
  for (const [branch, files] of Object.entries(CHANGES)) {
    git(["checkout", "-q", "-b", branch, base]);
    for (let k = 0; k < files; k++) {
      const i = k * (FILES / files);
      writeFileSync(join(REPO, fileName(i)), body(i, true));
    }
    git(["commit", "-qam", `change: ${files} files, ${files * CHANGED_LINES} lines`]);
  }
  git(["checkout", "-q", "feature"]);
  writeFileSync(READY, `${base}\n`);
  return base;
}

/** Puts the repository's HEAD (and working tree) on one of the changes; returns the base sha. */
export function atChange(change: Change): string {
  const base = prepareBigRepo();
  if (git(["rev-parse", "--abbrev-ref", "HEAD"]) !== change) git(["checkout", "-q", "-f", change]);
  return base;
}
