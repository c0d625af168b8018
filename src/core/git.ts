// Git access through exec (argv only, bounded, never throws): queries, checkpoint commits, and a
// tree hash of tracked + untracked files that never touches the user's index.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gitError } from "./errors.ts";
import { run } from "./exec.ts";

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

/** Uncommitted changes (tracked or untracked, not ignored), as `git status --porcelain` lines. */
export async function dirtyFiles(dir: string): Promise<string[]> {
  const result = await run(["git", "status", "--porcelain", "--untracked-files=all"], { cwd: dir, timeoutMs: 60_000 });
  if (!result.ok) throw gitError(`git status failed: ${result.digest}`);
  return result.stdout.split("\n").filter((line) => line.trim() !== "");
}

export async function treeOfHead(dir: string): Promise<string | null> {
  const result = await run(["git", "rev-parse", "--verify", "--quiet", "HEAD^{tree}"], { cwd: dir, timeoutMs: 10_000 });
  return result.ok ? result.stdout.trim() : null;
}

export async function currentBranch(dir: string): Promise<string | null> {
  const result = await run(["git", "symbolic-ref", "--quiet", "--short", "HEAD"], { cwd: dir, timeoutMs: 10_000 });
  return result.ok ? result.stdout.trim() : null;
}

/** Switch to `branch`, creating it at HEAD when it does not exist. */
export async function switchBranch(dir: string, branch: string): Promise<void> {
  const exists = (await run(["git", "rev-parse", "--verify", "--quiet", `refs/heads/${branch}`], { cwd: dir })).ok;
  const result = await run(exists ? ["git", "switch", "--quiet", branch] : ["git", "switch", "--quiet", "-c", branch], { cwd: dir, timeoutMs: 60_000 });
  if (!result.ok) throw gitError(`could not switch to branch ${branch}: ${result.digest}`, { hint: "commit or stash your changes, or choose another --branch" });
}

/** Identity for loki's own commits when the repository has none configured. */
async function commitIdentityEnv(dir: string): Promise<Record<string, string>> {
  const name = await run(["git", "config", "user.name"], { cwd: dir });
  const email = await run(["git", "config", "user.email"], { cwd: dir });
  if (name.ok && email.ok && name.stdout.trim() && email.stdout.trim()) return {};
  return { GIT_AUTHOR_NAME: "loki", GIT_AUTHOR_EMAIL: "loki@localhost", GIT_COMMITTER_NAME: "loki", GIT_COMMITTER_EMAIL: "loki@localhost" };
}

/** Commit everything (tracked and untracked, not ignored) when anything changed. Hooks are skipped:
 *  a checkpoint records the agent's work as it is; gates judge it afterwards. */
export async function commitCheckpoint(dir: string, message: string): Promise<{ sha: string | null; changed: boolean }> {
  const add = await run(["git", "add", "-A", "--", "."], { cwd: dir, timeoutMs: 120_000 });
  if (!add.ok) throw gitError(`git add failed: ${add.digest}`);
  const staged = await run(["git", "diff", "--cached", "--quiet"], { cwd: dir, timeoutMs: 120_000 });
  if (staged.exitCode === 0) return { sha: await headSha(dir), changed: false };
  const env = await commitIdentityEnv(dir);
  const commit = await run(["git", "commit", "--quiet", "--no-verify", "--no-gpg-sign", "-m", message], { cwd: dir, env, timeoutMs: 120_000 });
  if (!commit.ok) throw gitError(`checkpoint commit failed: ${commit.digest}`);
  return { sha: await headSha(dir), changed: true };
}
