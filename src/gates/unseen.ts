// What no diff shows but the tests gate still runs: edits the index hides from git (assume-unchanged,
// skip-worktree; core/git-hidden.ts), and test-runner configuration or test files git ignores
// (.gitignore, .git/info/exclude) — an ignored bunfig.toml preloading a file that disables assertions,
// an ignored test file that patches them for the others. Recorded at run start (the user's own stay
// allowed); one that appears or changes later blocks (git_integrity).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gitError } from "../core/errors.ts";
import { git, readGitSnapshot } from "../core/git.ts";
import { HIDDEN_DELETED, HIDDEN_UNREADABLE, hiddenChanges } from "../core/git-hidden.ts";
import { sha256 } from "../core/hash.ts";
import type { GitSnapshot } from "../core/run-schema.ts";
import type { Finding } from "../core/schema.ts";
import { fingerprint } from "./gate.ts";
import { isRunnerConfigName } from "./grader-inputs.ts";

/** A file a test runner reads for its settings, by name (whole or mixed-purpose configuration). */
export function isRunnerConfig(name: string): boolean {
  return isRunnerConfigName(name) || name === "package.json";
}

/** A source file a runner collects as a test by its name (`*.test.js`, `*_test.go`, `test_*.py`…);
 *  not by its directory: tests write their own scratch output under test/. */
export function isTestSource(name: string): boolean {
  return /\.(?:test|spec)\.(?:[cm]?[jt]sx?|mts|cts)$|_test\.(?:go|py)$|^test_[^/]*\.py$|_spec\.rb$/.test(name);
}

/**
 * Runner configuration and test files in the working tree that git ignores: path → sha256 of the content.
 * Ignored directories are listed whole, not entered (node_modules/ is not read file by file); a
 * runner reads its configuration from the project's own directories, not from inside those.
 */
async function ignoredGraderFiles(root: string): Promise<Record<string, string>> {
  const listed = await git(["-c", "core.quotepath=false", "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"], {
    cwd: root,
    timeoutMs: 120_000,
    maxOutputBytes: 256 << 20,
  });
  if (!listed.ok || listed.truncated)
    throw gitError(`cannot list the ignored files of ${root}: ${listed.digest || "the list is too large"}`);
  const found: Record<string, string> = {};
  const ignored = new Set(listed.stdout.split("\0"));
  for (const path of ignored) {
    const name = path.split("/").pop() ?? "";
    if (path === "" || path.endsWith("/") || !(isRunnerConfig(name) || isTestSource(name))) continue;
    if (isTestSource(name) && compiledFromVisibleSource(root, path, ignored)) continue;
    try {
      found[path] = sha256(readFileSync(join(root, path)));
    } catch {
      found[path] = HIDDEN_UNREADABLE;
    }
  }
  return found;
}

/** `x.test.js` next to an `x.test.ts` that is not ignored (the diff shows it): the build's output, as
 *  in a TypeScript project that ignores its compiled `*.js`. */
function compiledFromVisibleSource(root: string, path: string, ignored: ReadonlySet<string>): boolean {
  const stem = path.replace(/\.[cm]?js$/, "");
  if (stem === path) return false;
  return [".ts", ".tsx", ".mts", ".cts"].some((ext) => !ignored.has(stem + ext) && existsSync(join(root, stem + ext)));
}

export type Unseen = { hidden: Record<string, string>; ignored: Record<string, string> };

/** Both kinds as they are now. */
export async function readUnseen(root: string): Promise<Unseen> {
  const [hidden, ignored] = await Promise.all([hiddenChanges(root), ignoredGraderFiles(root)]);
  return { hidden, ignored };
}

/** What a run records at its start for the git_integrity gate: git's internals and what no diff shows. */
export async function readStartSnapshot(root: string, startSha: string): Promise<GitSnapshot> {
  const [snapshot, unseen] = await Promise.all([readGitSnapshot(root, startSha), readUnseen(root)]);
  return { ...snapshot, ...unseen };
}

/**
 * One finding per unseen file. Blocking when it is new since run start (or changed since); without a
 * run-start record (`loki verify`, an older run) it cannot be told from the user's own: a medium
 * concern, never a pass.
 */
export function unseenFindings(now: Unseen, atStart: Partial<Unseen> | undefined): Finding[] {
  const findings: Finding[] = [];
  const each = (kind: keyof Unseen, describe: (path: string, value: string) => string) => {
    const start = atStart?.[kind];
    for (const [path, value] of Object.entries(now[kind]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (start !== undefined && start[path] === value) continue;
      const rule =
        kind === "hidden" ? "git-hidden-change" : isTestSource(path.split("/").pop() ?? "") ? "ignored-test-file" : "ignored-runner-config";
      const message = describe(path, value) + (start === undefined ? "" : " (the agent's: not so at run start)");
      const severity = start === undefined ? "medium" : "high";
      findings.push({ severity, file: path, message, rule, fingerprint: fingerprint(rule, path, value) });
    }
  };
  each(
    "hidden",
    (path, blob) =>
      `${path} ${blob === HIDDEN_DELETED ? "is deleted" : "differs from what git records"}, but the index tells git not to look ` +
      `(assume-unchanged or skip-worktree): git add, git status and git diff skip it while commands still run it — ` +
      `git update-index --no-assume-unchanged --no-skip-worktree -- ${path}`,
  );
  each("ignored", (path) => {
    const what = isTestSource(path.split("/").pop() ?? "") ? "is a test file" : "configures the test runner";
    return `${path} ${what} but git ignores it (.gitignore or .git/info/exclude): no diff shows it while the tests read it — commit it, or remove it`;
  });
  return findings;
}
