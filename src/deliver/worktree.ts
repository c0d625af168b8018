// Isolated work for delegated runs: a git worktree on branch `loki/issue-<n>` under the repository's
// .loki/worktrees/, so the user's own checkout is never touched. A previous attempt's branch or
// worktree is reused when it is clean, and reported clearly when it is not.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { workspaceAt } from "../core/workspace.ts";
import { gitError } from "../core/errors.ts";
import { filtersOff, git as hardenedGit } from "../core/git.ts";
import type { IssueRef } from "../forge/types.ts";

export type Worktree = { dir: string; branch: string; state: "created" | "reused-branch" | "reused-worktree"; startPoint: string };

/** The branch a delegated run works on: the issue's number or key, else the run's id. */
export function branchFor(ref: IssueRef | null, runId: string): string {
  if (!ref) return `loki/run-${runId}`;
  switch (ref.tracker) {
    case "github":
    case "gitlab":
      return `loki/issue-${ref.number}`;
    case "jira":
      return `loki/issue-${ref.key}`;
    case "azure":
      return `loki/issue-${ref.id}`;
  }
}

export function worktreeDir(root: string, branch: string): string {
  return join(workspaceAt(root).worktrees, branch.replace(/[^A-Za-z0-9._-]+/g, "-"));
}

/** Hardened git (core/git.ts): a hook or config an earlier run's agent left in .git runs nothing here. */
async function git(root: string, args: string[]) {
  return hardenedGit(args, { cwd: root, timeoutMs: 120_000 });
}

/** Where new work starts: origin's default branch when it is known locally, else HEAD. */
export async function startPoint(root: string, defaultBranch: string | null): Promise<string> {
  for (const candidate of [defaultBranch ? `origin/${defaultBranch}` : null, "origin/HEAD", "HEAD"]) {
    if (candidate && (await git(root, ["rev-parse", "--verify", "--quiet", `${candidate}^{commit}`])).ok) return candidate;
  }
  throw gitError("this repository has no commits to start a worktree from", {
    hint: 'make one first: git commit --allow-empty -m "initial"',
  });
}

export async function prepareWorktree(root: string, branch: string, from: string): Promise<Worktree> {
  const dir = worktreeDir(root, branch);
  const branchExists = (await git(root, ["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`])).ok;
  const listed = (await git(root, ["worktree", "list", "--porcelain"])).stdout.split("\n\n");
  const existing = listed.find((block) => block.includes(`branch refs/heads/${branch}`));
  if (existing) {
    const at = /^worktree (.+)$/m.exec(existing)?.[1] ?? dir;
    if (!existsSync(at)) {
      await git(root, ["worktree", "prune"]);
    } else {
      // status reads files through clean filters, a checkout runs smudge ones: none of the repository's own.
      const dirty = (await git(at, [...(await filtersOff(at)), "status", "--porcelain"])).stdout.trim();
      if (dirty) {
        throw gitError(`the worktree of a previous attempt at ${at} (branch ${branch}) has uncommitted changes`, {
          hint: `look at them (cd ${at} && git status), then commit them or remove it: git worktree remove --force ${at}`,
        });
      }
      return { dir: at, branch, state: "reused-worktree", startPoint: from };
    }
  }
  const args = branchExists ? ["worktree", "add", "--quiet", dir, branch] : ["worktree", "add", "--quiet", "-b", branch, dir, from];
  const added = await git(root, [...(await filtersOff(root)), ...args]);
  if (!added.ok)
    throw gitError(`could not create a worktree for ${branch}: ${added.digest}`, {
      hint: `see git worktree list; remove a stale one with git worktree remove --force ${dir}`,
    });
  return { dir, branch, state: branchExists ? "reused-branch" : "created", startPoint: from };
}
