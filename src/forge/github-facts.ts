// Pure readings of GitHub answers: what branch protection, rulesets and repository settings say
// about loki merging, and what check runs plus commit statuses add up to. No I/O here.
import type { ChecksState, MergeMethod } from "./pr-types.ts";

type Enabled = { enabled?: boolean } | null | undefined;

/** The parts of GET /repos/{o}/{r}/branches/{b}/protection that can refuse an API merge. */
export type ClassicProtection = {
  required_pull_request_reviews?: { required_approving_review_count?: number; require_code_owner_reviews?: boolean } | null;
  enforce_admins?: Enabled;
  required_linear_history?: Enabled;
  required_signatures?: Enabled;
  lock_branch?: Enabled;
  restrictions?: unknown;
};

/** One entry of GET /repos/{o}/{r}/rules/branches/{b} (rulesets). */
export type BranchRule = { type: string; parameters?: Record<string, unknown> | null };

export type MergeSetting = {
  branch: string;
  method: MergeMethod;
  /** The token's user is a repository admin (classic protection lets admins bypass unless enforced). */
  admin: boolean;
  /** allow_merge_commit / allow_squash_merge / allow_rebase_merge from the repository; absent = unknown. */
  allowed: Partial<Record<MergeMethod, boolean>>;
};

export type Obstacles = { blocks: string[]; warnings: string[] };

const METHOD_NAME: Record<MergeMethod, string> = { merge: "merge commits", squash: "squash merges", rebase: "rebase merges" };
const on = (flag: Enabled) => flag?.enabled === true;
const reviews = (n: number) => `${n} approving review${n === 1 ? "" : "s"}`;

/** Why GitHub would refuse loki's merge into the default branch (blocks), and what might (warnings). */
export function mergeObstacles(classic: ClassicProtection | null, rules: readonly BranchRule[], setting: MergeSetting): Obstacles {
  const blocks: string[] = [];
  const warnings: string[] = [];
  if (setting.allowed[setting.method] === false) {
    blocks.push(`the repository does not allow ${METHOD_NAME[setting.method]} (set ship.merge_method to a method it allows)`);
  }
  if (classic) {
    const found = classicBlocks(classic, setting);
    // Classic protection binds admins only when enforce_admins is on; otherwise an admin token merges anyway.
    if (setting.admin && !on(classic.enforce_admins))
      warnings.push(...found.map((why) => `${why} (the token is an admin and may bypass it)`));
    else blocks.push(...found);
    if (on(classic.required_signatures)) warnings.push(`branch protection of ${setting.branch} requires signed commits`);
    if (classic.restrictions) warnings.push(`branch protection of ${setting.branch} lets only listed users, teams or apps push to it`);
  }
  for (const rule of rules) {
    const why = ruleBlock(rule, setting);
    if (why) blocks.push(why);
    if (rule.type === "required_signatures") warnings.push(`a ruleset on ${setting.branch} requires signed commits`);
  }
  return { blocks: [...new Set(blocks)], warnings: [...new Set(warnings)] };
}

function classicBlocks(classic: ClassicProtection, setting: MergeSetting): string[] {
  const out: string[] = [];
  const count = classic.required_pull_request_reviews?.required_approving_review_count ?? 0;
  if (count > 0) out.push(`branch protection requires ${reviews(count)}`);
  else if (classic.required_pull_request_reviews?.require_code_owner_reviews) out.push("branch protection requires a code owner's review");
  if (on(classic.required_linear_history) && setting.method === "merge")
    out.push("branch protection requires linear history, so merge commits are refused (set ship.merge_method to squash or rebase)");
  if (on(classic.lock_branch)) out.push(`branch protection locks ${setting.branch} (read-only)`);
  return out;
}

function ruleBlock(rule: BranchRule, setting: MergeSetting): string | null {
  const count = rule.parameters?.required_approving_review_count;
  switch (rule.type) {
    case "pull_request":
      return typeof count === "number" && count > 0 ? `a ruleset requires ${reviews(count)}` : null;
    case "required_linear_history":
      return setting.method === "merge"
        ? "a ruleset requires linear history, so merge commits are refused (set ship.merge_method to squash or rebase)"
        : null;
    case "merge_queue":
      return `a ruleset requires the merge queue for ${setting.branch}; loki does not merge through it`;
    case "update":
      return `a ruleset restricts updates to ${setting.branch}`;
    default:
      return null;
  }
}

export type CheckRunLike = { name: string; status: string; conclusion?: string | null };
export type CommitStatusLike = { context: string; state: string };

const GREEN = new Set(["success", "neutral", "skipped"]);

/**
 * Check runs and commit statuses of one commit, as one state. Any finished run that is not
 * success/neutral/skipped (failure, cancelled, timed_out, action_required, stale…) or any
 * failure/error status fails; anything still queued or running, or a pending status, is pending.
 * No runs and no statuses at all is `success` with total 0: the caller says "no CI configured".
 */
export function checksFromGithub(runs: readonly CheckRunLike[], statuses: readonly CommitStatusLike[]): ChecksState {
  const failing: string[] = [];
  const pending: string[] = [];
  for (const run of runs) {
    if (run.status !== "completed") pending.push(run.name);
    else if (!GREEN.has(run.conclusion ?? "")) failing.push(`${run.name} (${run.conclusion ?? "no conclusion"})`);
  }
  for (const status of statuses) {
    if (status.state === "pending") pending.push(status.context);
    else if (status.state !== "success") failing.push(`${status.context} (${status.state})`);
  }
  const state = failing.length > 0 ? "failure" : pending.length > 0 ? "pending" : "success";
  return { state, total: runs.length + statuses.length, failing, pending };
}
