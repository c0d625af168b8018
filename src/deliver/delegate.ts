// Delegated runs (--worktree, --pr, --ship, --bg): everything knowable is checked before any agent
// spend — origin, the repository, the token's rights, archived, branch protection, the issue — then
// the run is prepared in its own worktree with what to deliver recorded for when the loop ends.
// The spec is read once and the run id minted once, here; start.ts takes both as they are.
import { loadConfig } from "../core/config.ts";
import { LokiError, usageError } from "../core/errors.ts";
import { remoteUrl, repoRoot } from "../core/git.ts";
import { Delivery } from "../core/run-schema.ts";
import { SCHEMA_VERSION } from "../core/schema.ts";
import { ensureWorkspace, workspaceAt, writeJson } from "../core/workspace.ts";
import { inspectRepo, repoFromIssue, repoFromRemote } from "../forge/delivery.ts";
import type { RepoRef } from "../forge/pr-types.ts";
import type { IssueRef } from "../forge/types.ts";
import { branchFor, prepareWorktree, startPoint } from "./worktree.ts";
import { detectSpec } from "../spec/detect.ts";
import { probe, readSpec } from "../spec/read.ts";
import type { Spec } from "../core/schema.ts";
import { newRunId, prepareStart, type StartInput } from "../run/start.ts";

/** `spec`: read already (`loki ci build` reads the issue, then drops the token before the run). */
export type DelegateInput = StartInput & { pr: boolean; ship: boolean; spec?: Spec };

export async function prepareDelegated(input: DelegateInput) {
  const root = await repoRoot(input.cwd);
  const config = loadConfig(root, input.env, input.flags).config;
  const target = detectSpec(input.arg, input.explicit, input.cwd, probe);
  const issue: IssueRef | null = target.kind === "issue" ? target.ref : null;
  // The issue must exist (and the tracker answer) before anything else is set up.
  const spec = input.spec ?? (await readSpec(input.arg, { cwd: input.cwd, config, env: input.env, explicit: input.explicit }));
  let repo: RepoRef | null = null;
  let base: string | null = null;
  let blocked: string | null = null;
  if (input.pr) {
    const origin = await remoteUrl(root);
    if (!origin)
      throw usageError("--pr needs an `origin` remote to push the branch to, and this repository has none", {
        hint: "add one: git remote add origin <url>",
      });
    // origin is where the branch is pushed, so its repository gets the PR; the issue's is the fallback
    // (a local-path origin names no repository).
    repo = repoFromRemote(origin, config) ?? (issue ? repoFromIssue(issue) : null);
    if (!repo)
      throw usageError(`cannot tell which GitHub or GitLab repository to open the pull request on (origin is ${origin})`, {
        hint: "pass the issue as owner/repo#N, or set GITHUB_API_URL / GITLAB_API_URL for your server",
      });
    const facts = await inspectRepo(repo, { config, env: input.env });
    if (facts.archived)
      throw new LokiError("tracker", "the repository is archived: nothing can be pushed or merged", {
        hint: "unarchive it, or run without --pr",
      });
    if (!facts.canOpenPr || facts.missing.length > 0) {
      throw new LokiError(
        "tracker",
        `the token cannot push and open pull requests here${facts.missing.length ? ` (missing: ${facts.missing.join(", ")})` : ""}`,
        { hint: "use a token with write access to the repository (classic: the repo scope)" },
      );
    }
    if (input.ship && facts.mergeBlockedBy) {
      throw new LokiError("tracker", `--ship cannot merge into ${facts.defaultBranch}: ${facts.mergeBlockedBy}`, {
        hint: "run with --pr to open the pull request for review instead (an existing one is kept)",
      });
    }
    for (const warning of facts.warnings) input.reporter.warn(warning);
    base = facts.defaultBranch;
    blocked = facts.mergeBlockedBy;
  }
  const runId = newRunId(new Date());
  const branch = branchFor(issue, runId);
  // Worktrees live under the checkout's .loki/, whose .gitignore keeps the checkout's status clean.
  ensureWorkspace(workspaceAt(root));
  const tree = await prepareWorktree(root, branch, await startPoint(root, base));
  input.reporter.notice(`${tree.state === "created" ? "created" : "reusing"} worktree ${tree.dir} on branch ${branch}`);
  // The spec was read where the user pointed, not inside the new worktree.
  const prepared = await prepareStart({ ...input, cwd: tree.dir, intake: { spec, runId } });
  writeJson(workspaceAt(tree.dir).delivery, Delivery, {
    schema_version: SCHEMA_VERSION,
    run_id: prepared.runId,
    pr: input.pr,
    ship: input.ship,
    branch,
    base: base ?? "",
    repo: repo as Record<string, unknown> | null,
    issue: issue as Record<string, unknown> | null,
    title: spec.title,
    main_root: root,
    merge_blocked_by: blocked,
  });
  return { ...prepared, worktree: tree };
}
