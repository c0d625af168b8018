// Merge requests on GitLab (REST v4): what the project allows before any agent spend, one MR per
// source branch (updated, never duplicated), the commit's pipeline, a sha-pinned merge, issue notes.
// Needs GITLAB_TOKEN (a CI job token cannot open MRs). Reads env from ctx.env only; no printing.
import { trackerError } from "../core/errors.ts";
import { gitlabApiUrl } from "./gitlab.ts";
import { field, items, sendJson, type JsonAnswer } from "./http-json.ts";
import type { TrackerSite } from "./http.ts";
import type { ChecksState, MergeMethod, MergeResult, PullRequest, PullRequestInput, RepoFacts, RepoRef } from "./pr-types.ts";
import { issueKey, type FetchContext, type IssueRef } from "./types.ts";

export type GitlabRepo = Extract<RepoRef, { forge: "gitlab" }>;
type GitlabIssue = Extract<IssueRef, { tracker: "gitlab" }>;
type Session = { site: TrackerSite; token: string /** …/api/v4/projects/<encoded path> */; base: string; ctx: FetchContext };
type Method = "GET" | "POST" | "PUT";

const DEVELOPER = 30;
const ROLE: Record<number, string> = {
  0: "no one",
  10: "Guest",
  20: "Reporter",
  30: "Developer",
  40: "Maintainer",
  50: "Owner",
  60: "administrator",
};
const MERGE_REFUSAL: Record<number, string> = {
  401: "the token may not merge into the target branch",
  403: "the token may not merge into the target branch",
  405: "not mergeable yet: draft, unresolved threads, missing approvals or a required pipeline",
  406: "merge conflicts",
  409: "the merge request's head moved since its pipeline ran",
  422: "GitLab cannot merge it",
};

export async function inspectGitlabProject(repo: GitlabRepo, ctx: FetchContext): Promise<RepoFacts> {
  const s = session(repo, repo.project, ctx);
  const project = (await send(s, "GET", "", `project ${repo.project}`)).data;
  const defaultBranch = field(project, "default_branch", "string") ?? "main";
  const level = accessLevel(project);
  const missing: string[] = [];
  const scopes = await tokenScopes(s);
  if (scopes && !scopes.includes("api")) missing.push("the `api` scope");
  if (level !== undefined && level < DEVELOPER)
    missing.push(`the Developer role on ${repo.project} (the token's user is ${roleName(level)})`);
  const blocks: string[] = [];
  const warnings: string[] = [];
  if (ctx.config.ship.merge_method === "squash" && field(project, "squash_option", "string") === "never") {
    blocks.push("the project never squashes merge requests (set ship.merge_method to merge)");
  }
  // 404: the default branch is not protected. 403: the token may not read its protection.
  const guard = await send(
    s,
    "GET",
    `/protected_branches/${encodeURIComponent(defaultBranch)}`,
    `protected branch ${defaultBranch}`,
    undefined,
    [403, 404],
  );
  if (guard.status === 403)
    warnings.push(
      `the protection of ${defaultBranch} is unknown: the token cannot read it (403), so GitLab decides at merge time and a refused merge keeps the MR`,
    );
  if (guard.status === 200) {
    const rule = mergeRule(items(guard.data, "merge_access_levels"), defaultBranch, level);
    if (rule.block) blocks.push(rule.block);
    if (rule.warning) warnings.push(rule.warning);
  }
  return {
    defaultBranch,
    archived: field(project, "archived", "boolean") === true,
    canOpenPr: missing.length === 0,
    missing,
    mergeBlockedBy: blocks.length > 0 ? blocks.join("; ") : null,
    warnings,
  };
}

/** The user's role: the higher of project and group membership; undefined when GitLab does not say. */
function accessLevel(project: unknown): number | undefined {
  const permissions = field(project, "permissions", "object");
  const levels = ["project_access", "group_access"].map((key) => field(field(permissions, key, "object"), "access_level", "number") ?? -1);
  const best = Math.max(...levels);
  return best >= 0 ? best : undefined;
}

const roleName = (level: number) => ROLE[level] ?? `access level ${level}`;

/** Which roles may merge into a protected branch, against the user's role; user/group grants are unknowable. */
export function mergeRule(levels: unknown[], branch: string, userLevel: number | undefined): { block?: string; warning?: string } {
  if (levels.length === 0) return {};
  const named = levels.some((entry) => field(entry, "user_id", "number") !== undefined || field(entry, "group_id", "number") !== undefined);
  const roles = levels
    .filter((entry) => field(entry, "user_id", "number") === undefined && field(entry, "group_id", "number") === undefined)
    .map((entry) => field(entry, "access_level", "number") ?? 0);
  const allowed = roles.filter((role) => role > 0);
  if (allowed.length === 0 && !named) return { block: `protected branch ${branch} allows no one to merge` };
  const least = allowed.length > 0 ? Math.min(...allowed) : undefined;
  if (least !== undefined && userLevel !== undefined && userLevel >= least) return {};
  if (named || userLevel === undefined)
    return { warning: `protected branch ${branch} limits who may merge, and whether the token's user may is unknown` };
  return {
    block: `protected branch ${branch} allows only ${roleName(least ?? 0)}s and above to merge, and the token's user is ${roleName(userLevel)}`,
  };
}

/** The token's scopes when GitLab tells (personal, project and group access tokens), else null. */
async function tokenScopes(s: Session): Promise<string[] | null> {
  const url = `${s.site.baseUrl}/personal_access_tokens/self`;
  const answer = await sendJson(
    { method: "GET", url, headers: { "PRIVATE-TOKEN": s.token }, what: "the token", expect: [401, 403, 404] },
    s.site,
    s.ctx,
  );
  const scopes = items(answer.data, "scopes").filter((scope): scope is string => typeof scope === "string");
  return answer.status === 200 && scopes.length > 0 ? scopes : null;
}

export async function upsertGitlabMr(input: PullRequestInput & { repo: GitlabRepo }, ctx: FetchContext): Promise<PullRequest> {
  const s = session(input.repo, input.repo.project, ctx);
  const existing = await findOpenMr(s, input.head);
  if (existing !== undefined) return updateMr(s, existing, input);
  const body = { source_branch: input.head, target_branch: input.base, title: input.title, description: input.body };
  const created = await send(s, "POST", "/merge_requests", `project ${input.repo.project}`, body, [409]);
  if (created.status !== 409) return toPullRequest(created.data, true);
  // "Another open merge request already exists for this source branch": update that one.
  const again = await findOpenMr(s, input.head);
  if (again === undefined)
    throw trackerError(`GitLab refused to open a merge request for ${input.head} (409): ${created.detail}`, {
      hint: "close the conflicting merge request, or run again",
    });
  return updateMr(s, again, input);
}

async function findOpenMr(s: Session, head: string): Promise<number | undefined> {
  const list = await send(s, "GET", `/merge_requests?state=opened&source_branch=${encodeURIComponent(head)}`, "merge requests");
  return field(items(list.data)[0], "iid", "number");
}

async function updateMr(s: Session, iid: number, input: PullRequestInput): Promise<PullRequest> {
  const answer = await send(s, "PUT", `/merge_requests/${iid}`, `merge request !${iid}`, { title: input.title, description: input.body });
  return toPullRequest(answer.data, false);
}

function toPullRequest(mr: unknown, created: boolean): PullRequest {
  const iid = field(mr, "iid", "number");
  const url = field(mr, "web_url", "string");
  if (iid === undefined || url === undefined)
    throw trackerError("GitLab answered a merge request without iid or web_url", {
      hint: "check GITLAB_API_URL: it should end in /api/v4",
    });
  return { number: iid, url, created, headSha: field(mr, "sha", "string") ?? null };
}

/** The newest pipeline for the commit, job by job; no pipeline at all is success with total 0. */
export async function gitlabChecks(repo: GitlabRepo, sha: string, ctx: FetchContext): Promise<ChecksState> {
  const s = session(repo, `${repo.project}@${sha.slice(0, 12)}`, ctx);
  const list = await send(s, "GET", `/pipelines?sha=${encodeURIComponent(sha)}&order_by=id&sort=desc&per_page=1`, "pipelines");
  const pipeline = items(list.data)[0];
  const id = field(pipeline, "id", "number");
  if (id === undefined) return { state: "success", total: 0, failing: [], pending: [] };
  const jobs = await send(s, "GET", `/pipelines/${id}/jobs?per_page=100`, `pipeline #${id}`);
  return checksFromPipeline(id, field(pipeline, "status", "string") ?? "unknown", items(jobs.data));
}

const JOB_OK = new Set(["success", "skipped", "manual"]);
const JOB_FAILED = new Set(["failed", "canceled", "canceling"]);
const PIPELINE_OK = new Set(["success", "skipped"]);

/** Failed or canceled jobs fail (unless allowed to fail); the pipeline's own status covers bridges and blocking manual jobs. */
export function checksFromPipeline(id: number, status: string, jobs: unknown[]): ChecksState {
  const failing: string[] = [];
  const pending: string[] = [];
  for (const job of jobs) {
    const name = field(job, "name", "string") ?? "job";
    const state = field(job, "status", "string") ?? "unknown";
    if (JOB_FAILED.has(state)) {
      if (!(state === "failed" && field(job, "allow_failure", "boolean") === true)) failing.push(`${name} (${state})`);
    } else if (!JOB_OK.has(state)) pending.push(name);
  }
  if (JOB_FAILED.has(status) && failing.length === 0) failing.push(`pipeline #${id} (${status})`);
  if (!PIPELINE_OK.has(status) && !JOB_FAILED.has(status) && pending.length === 0) pending.push(`pipeline #${id} (${status})`);
  const state = failing.length > 0 ? "failure" : pending.length > 0 ? "pending" : "success";
  return { state, total: Math.max(jobs.length, 1), failing, pending };
}

/** Merge only if the MR's head is still `sha`. GitLab applies the project's merge method; `squash` asks to squash. */
export async function mergeGitlabMr(
  repo: GitlabRepo,
  iid: number,
  method: MergeMethod,
  sha: string,
  ctx: FetchContext,
): Promise<MergeResult> {
  const s = session(repo, `${repo.project}!${iid}`, ctx);
  const answer = await send(
    s,
    "PUT",
    `/merge_requests/${iid}/merge`,
    `merge request !${iid}`,
    { sha, squash: method === "squash" },
    Object.keys(MERGE_REFUSAL).map(Number),
  );
  const why = MERGE_REFUSAL[answer.status];
  if (why !== undefined)
    return {
      merged: false,
      sha: null,
      message: `GitLab refused to merge !${iid} (${answer.status}: ${why})${answer.detail ? `: ${answer.detail}` : ""}`,
    };
  const state = field(answer.data, "state", "string");
  if (state !== "merged")
    return { merged: false, sha: null, message: `GitLab accepted the merge of !${iid}, but it is ${state ?? "in an unknown state"}` };
  const merged = field(answer.data, "squash_commit_sha", "string") ?? field(answer.data, "merge_commit_sha", "string") ?? null;
  return { merged: true, sha: merged, message: `merged !${iid}` };
}

/** A note (comment) on a GitLab issue. GitLab does not answer with the note's page, so null. */
export async function noteGitlabIssue(ref: GitlabIssue, body: string, ctx: FetchContext): Promise<string | null> {
  const s = session(ref, issueKey(ref), ctx);
  await send(s, "POST", `/issues/${ref.number}/notes`, `issue ${issueKey(ref)}`, { body });
  return null;
}

function session(where: { project: string; host?: string; scheme?: "http" }, key: string, ctx: FetchContext): Session {
  const token = ctx.env.GITLAB_TOKEN?.trim();
  if (!token) {
    const why = ctx.env.CI_JOB_TOKEN?.trim() ? "CI_JOB_TOKEN cannot open merge requests or comment: " : "";
    throw trackerError(`no GitLab token to work on ${key}`, {
      hint: `${why}set GITLAB_TOKEN to a personal or project access token with the api scope`,
    });
  }
  const ref: GitlabIssue = { tracker: "gitlab", project: where.project, number: 0, host: where.host, scheme: where.scheme };
  const baseUrl = gitlabApiUrl(ref, ctx);
  const site: TrackerSite = {
    name: "GitLab",
    baseUrl,
    baseEnv: "GITLAB_API_URL",
    authFix: "set a valid GITLAB_TOKEN",
    scopeFix: "the token needs the api scope and at least the Developer role on the project",
    key,
    secrets: [token],
  };
  return { site, token, base: `${baseUrl}/projects/${encodeURIComponent(where.project)}`, ctx };
}

function send(s: Session, method: Method, path: string, what: string, body?: unknown, expect?: number[]): Promise<JsonAnswer> {
  return sendJson({ method, url: `${s.base}${path}`, headers: { "PRIVATE-TOKEN": s.token }, body, what, expect }, s.site, s.ctx);
}
