// Git access: simple-git for porcelain queries, plumbing through exec for what simple-git lacks
// (a tree hash of tracked + untracked files that never touches the user's index).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { simpleGit, type SimpleGit } from "simple-git";
import { gitError } from "./errors.ts";
import { run } from "./exec.ts";

export function gitAt(dir: string): SimpleGit {
  return simpleGit({ baseDir: dir, maxConcurrentProcesses: 4 });
}

export async function isRepo(dir: string): Promise<boolean> {
  const result = await run(["git", "rev-parse", "--is-inside-work-tree"], { cwd: dir, timeoutMs: 10_000 });
  return result.ok && result.stdout.trim() === "true";
}

export async function repoRoot(dir: string): Promise<string> {
  const result = await run(["git", "rev-parse", "--show-toplevel"], { cwd: dir, timeoutMs: 10_000 });
  if (!result.ok) throw gitError(`${dir} is not inside a git repository`, { hint: "run `git init` first, or cd into your repository" });
  return result.stdout.trim();
}

export async function headSha(dir: string): Promise<string | null> {
  const result = await run(["git", "rev-parse", "--verify", "--quiet", "HEAD"], { cwd: dir, timeoutMs: 10_000 });
  return result.ok ? result.stdout.trim() : null;
}

/** The fetch URL of `remote`, or null when it is not configured. */
export async function remoteUrl(dir: string, remote = "origin"): Promise<string | null> {
  const result = await run(["git", "remote", "get-url", remote], { cwd: dir, timeoutMs: 10_000 });
  return result.ok ? result.stdout.trim() || null : null;
}

/**
 * sha of a tree holding every tracked and untracked (not ignored) file as it is on disk now.
 * Built in a throwaway index so the user's staging area is untouched.
 */
export async function workingTreeHash(dir: string): Promise<string> {
  const scratch = mkdtempSync(join(tmpdir(), "loki-index-"));
  const env = { GIT_INDEX_FILE: join(scratch, "index") };
  try {
    const head = await headSha(dir);
    if (head) await mustRun(["git", "read-tree", head], dir, env);
    await mustRun(["git", "add", "-A", "--", "."], dir, env);
    return (await mustRun(["git", "write-tree"], dir, env)).trim();
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function mustRun(argv: string[], cwd: string, env: Record<string, string>): Promise<string> {
  const result = await run(argv, { cwd, env, timeoutMs: 120_000 });
  if (!result.ok) throw gitError(`${argv.join(" ")} failed: ${result.digest}`);
  return result.stdout;
}
