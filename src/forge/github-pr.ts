// Pull requests on GitHub through @octokit/rest: what the repository allows before any agent spend,
// one PR per branch (updated, never duplicated), its checks, a sha-pinned merge, issue comments.
// Reads env from ctx.env only; never prints, never puts the token in a message.
import type { Octokit } from "@octokit/rest";
import { type LokiError, isLokiError, messageOf, trackerError } from "../core/errors.ts";
import { checksFromGithub, mergeObstacles, type BranchRule, type MergeSetting, type Obstacles } from "./github-facts.ts";
import { githubApiUrl, githubSite, githubToken, octokitFor } from "./github.ts";
import { detailOf, responseError, scrub, type TrackerSite } from "./http.ts";
import type { ChecksState, MergeMethod, MergeResult, PullRequest, PullRequestInput, RepoFacts, RepoRef } from "./pr-types.ts";
import { issueKey, type FetchContext, type IssueRef } from "./types.ts";

export type GithubRepo = Extract<RepoRef, { forge: "github" }>;
type GithubIssue = Extract<IssueRef, { tracker: "github" }>;
type Where = { owner: string; repo: string; host?: string; scheme?: "http" };
type Session = { octokit: Octokit; site: TrackerSite; owner: string; repo: string };
type HttpFailure = { status: number; headers: Headers; detail: string };

const SCOPE_FIX =
  "the token needs write access: classic token `repo` scope (`public_repo` for a public repository); fine-grained: Contents, Pull requests and Issues read & write, Checks and Commit statuses read";
/** Answers to a merge that are GitHub saying no (not mergeable, head moved, method refused, forbidden), not failures. */
const MERGE_REFUSALS = new Set([403, 405, 409, 422]);

export async function inspectGithubRepo(repo: GithubRepo, ctx: FetchContext): Promise<RepoFacts> {
  const s = await session(repo, `${repo.owner}/${repo.repo}`, ctx);
  const { data, headers } = await call(s, "", "reading the repository", () => s.octokit.rest.repos.get({ owner: s.owner, repo: s.repo }));
  const scopes = scopeFacts(headers["x-oauth-scopes"], data.private);
  const missing = [...scopes.missing];
  // Absent permissions (an app or Actions token) are unknown, not denied: GitHub decides at push time.
  if (data.permissions && !data.permissions.push) missing.push(`write access to ${s.site.key} (the token's user may only read it)`);
  const setting: MergeSetting = {
    branch: data.default_branch,
    method: ctx.config.ship.merge_method,
    admin: data.permissions?.admin === true,
    allowed: { merge: data.allow_merge_commit, squash: data.allow_squash_merge, rebase: data.allow_rebase_merge },
  };
  const obstacles = await readProtection(s, setting);
  return {
    defaultBranch: data.default_branch,
    archived: data.archived,
    canOpenPr: missing.length === 0,
    missing,
    mergeBlockedBy: obstacles.blocks.length > 0 ? obstacles.blocks.join("; ") : null,
    warnings: [...scopes.warnings, ...obstacles.warnings],
  };
}

/** Classic tokens list their scopes in x-oauth-scopes; fine-grained, app and Actions tokens send none. */
function scopeFacts(header: unknown, isPrivate: boolean): { missing: string[]; warnings: string[] } {
  if (typeof header !== "string") return { missing: [], warnings: [] };
  const scopes = new Set(header.split(",").map((scope) => scope.trim()));
  const writes = scopes.has("repo") || (!isPrivate && scopes.has("public_repo"));
  return {
    missing: writes ? [] : [isPrivate ? "the `repo` scope" : "the `public_repo` (or `repo`) scope"],
    warnings: scopes.has("workflow") ? [] : ["the token has no `workflow` scope: GitHub refuses a push that changes .github/workflows/"],
  };
}

async function readProtection(s: Session, setting: MergeSetting): Promise<Obstacles> {
  const where = { owner: s.owner, repo: s.repo, branch: setting.branch };
  const branch = await optional(s, "reading the default branch", () => s.octokit.rest.repos.getBranch(where));
  if (typeof branch === "number") return { blocks: [], warnings: [] }; // an empty repository has no default branch yet
  // Rulesets are readable with read access; servers without rulesets answer 404.
  const rules = await optional(s, "reading the branch rules", () => s.octokit.rest.repos.getBranchRules(where));
  const ruleList = typeof rules === "number" ? [] : rules.map((rule) => rule as unknown as BranchRule);
  if (!branch.protected) return mergeObstacles(null, ruleList, setting);
  // Classic protection is readable only by admins: a 403 (or a 404 to a non-admin) means unknown, not unprotected.
  const classic = await optional(s, "reading branch protection", () => s.octokit.rest.repos.getBranchProtection(where));
  const found = mergeObstacles(typeof classic === "number" ? null : classic, ruleList, setting);
  if (classic === 403 || (classic === 404 && !setting.admin && ruleList.length === 0)) {
    found.warnings.unshift(
      `branch protection of ${setting.branch} is unknown: the token cannot read it (${classic}; it needs admin rights), so GitHub decides at merge time and a refused merge keeps the PR`,
    );
  }
  return found;
}

export async function upsertGithubPr(input: PullRequestInput & { repo: GithubRepo }, ctx: FetchContext): Promise<PullRequest> {
  const s = await session(input.repo, `${input.repo.owner}/${input.repo.repo}`, ctx);
  const existing = await findOpenPr(s, input.head);
  if (existing !== null) return updatePr(s, existing, input);
  try {
    const { data } = await s.octokit.rest.pulls.create({
      owner: s.owner,
      repo: s.repo,
      head: input.head,
      base: input.base,
      title: input.title,
      body: input.body,
    });
    return { number: data.number, url: data.html_url, created: true, headSha: data.head.sha };
  } catch (error) {
    // "A pull request already exists": someone opened one between our look and our create.
    const again = httpFailure(error)?.status === 422 ? await findOpenPr(s, input.head) : null;
    if (again !== null) return updatePr(s, again, input);
    throw githubFailure(error, s, "/pulls", "opening the pull request");
  }
}

async function findOpenPr(s: Session, head: string): Promise<number | null> {
  const { data } = await call(s, "/pulls", "listing pull requests", () =>
    s.octokit.rest.pulls.list({ owner: s.owner, repo: s.repo, head: `${s.owner}:${head}`, state: "open", per_page: 10 }),
  );
  return data[0]?.number ?? null;
}

async function updatePr(s: Session, number: number, input: PullRequestInput): Promise<PullRequest> {
  const { data } = await call(s, `/pulls/${number}`, `updating pull request #${number}`, () =>
    s.octokit.rest.pulls.update({ owner: s.owner, repo: s.repo, pull_number: number, title: input.title, body: input.body }),
  );
  return { number: data.number, url: data.html_url, created: false, headSha: data.head.sha };
}

/** Check runs for the commit plus its commit statuses (see checksFromGithub for the rules). */
export async function githubChecks(repo: GithubRepo, sha: string, ctx: FetchContext): Promise<ChecksState> {
  const s = await session(repo, `${repo.owner}/${repo.repo}@${sha.slice(0, 12)}`, ctx);
  const ref = { owner: s.owner, repo: s.repo, ref: sha, per_page: 100 };
  const runs = await call(s, `/commits/${sha}/check-runs`, "reading check runs", () =>
    s.octokit.paginate(s.octokit.rest.checks.listForRef, ref),
  );
  // The combined `state` is "pending" when a commit has no statuses at all, so only the list is used.
  const { data } = await call(s, `/commits/${sha}/status`, "reading commit statuses", () =>
    s.octokit.rest.repos.getCombinedStatusForRef(ref),
  );
  return checksFromGithub(runs, data.statuses);
}

/** Merge only if the PR's head is still `sha`; GitHub saying no comes back as merged: false with its words. */
export async function mergeGithubPr(
  repo: GithubRepo,
  number: number,
  method: MergeMethod,
  sha: string,
  ctx: FetchContext,
): Promise<MergeResult> {
  const s = await session(repo, `${repo.owner}/${repo.repo}#${number}`, ctx);
  try {
    const { data } = await s.octokit.rest.pulls.merge({ owner: s.owner, repo: s.repo, pull_number: number, merge_method: method, sha });
    return { merged: data.merged, sha: data.sha ?? null, message: data.message };
  } catch (error) {
    const http = httpFailure(error);
    if (http && MERGE_REFUSALS.has(http.status) && http.headers.get("x-ratelimit-remaining") !== "0") {
      return {
        merged: false,
        sha: null,
        message: `GitHub refused to merge #${number} (${http.status})${http.detail ? `: ${scrub(http.detail, s.site.secrets)}` : ""}`,
      };
    }
    throw githubFailure(error, s, `/pulls/${number}/merge`, `merging #${number}`);
  }
}

/** Comment on a GitHub issue (or PR); returns the comment's page. */
export async function commentGithubIssue(ref: GithubIssue, body: string, ctx: FetchContext): Promise<string | null> {
  const s = await session(ref, issueKey(ref), ctx);
  const path = `/issues/${ref.number}/comments`;
  const { data } = await call(s, path, "commenting on the issue", () =>
    s.octokit.rest.issues.createComment({ owner: s.owner, repo: s.repo, issue_number: ref.number, body }),
  );
  return data.html_url;
}

async function session(where: Where, key: string, ctx: FetchContext): Promise<Session> {
  const ref: GithubIssue = { tracker: "github", owner: where.owner, repo: where.repo, number: 0, host: where.host, scheme: where.scheme };
  const token = await githubToken(ref, ctx);
  if (!token)
    throw trackerError(`no GitHub token to work on ${key}`, { hint: "set GITHUB_TOKEN (classic: the repo scope), or run `gh auth login`" });
  const site = githubSite(token, githubApiUrl(ref, ctx), key, SCOPE_FIX);
  return { octokit: octokitFor(token.value, site, ctx), site, owner: where.owner, repo: where.repo };
}

async function call<T>(s: Session, path: string, doing: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw githubFailure(error, s, path, doing);
  }
}

/** The answer, or the status of a 403/404 for reads whose absence means something. */
async function optional<T>(s: Session, doing: string, request: () => Promise<{ data: T }>): Promise<T | 403 | 404> {
  try {
    return (await request()).data;
  } catch (error) {
    const http = httpFailure(error);
    if (http && (http.status === 403 || http.status === 404) && http.headers.get("x-ratelimit-remaining") !== "0") return http.status;
    throw githubFailure(error, s, "", doing);
  }
}

/** Octokit's RequestError as status, headers and GitHub's own words (validation errors included). */
function httpFailure(error: unknown): HttpFailure | null {
  if (error instanceof Error && isLokiError(error.cause)) return null;
  const failure = error as { status?: unknown; response?: { headers?: Record<string, string>; data?: unknown } };
  if (typeof failure.status !== "number" || !failure.response) return null;
  const data = failure.response.data;
  const errors = (data as { errors?: unknown } | null | undefined)?.errors;
  const said = Array.isArray(errors)
    ? errors.map((e) => String((e as { message?: unknown } | null)?.message ?? "")).filter((m) => m !== "")
    : [];
  const detail = [detailOf(typeof data === "string" ? data : JSON.stringify(data ?? "")), ...said].filter((m) => m !== "").join(": ");
  return { status: failure.status, headers: new Headers(failure.response.headers), detail };
}

function githubFailure(error: unknown, s: Session, path: string, doing: string): LokiError {
  if (isLokiError(error)) return error;
  if (error instanceof Error && isLokiError(error.cause)) return error.cause;
  const url = `${s.site.baseUrl}/repos/${s.owner}/${s.repo}${path}`;
  const http = httpFailure(error);
  if (!http)
    return trackerError(`${doing} on GitHub failed: ${scrub(messageOf(error), s.site.secrets)}`, {
      hint: "check GITHUB_API_URL or your network",
      cause: error,
    });
  const detail = scrub(http.detail, s.site.secrets);
  const data = { status: http.status, url, tracker: "GitHub" };
  if (http.status === 404)
    return trackerError(`${s.site.key} not found on GitHub (${doing}, ${url}), or the token cannot see it`, {
      hint: `check the repository name; ${SCOPE_FIX}`,
      data,
    });
  if (http.status === 422)
    return trackerError(`GitHub refused ${doing} on ${s.site.key} (422)${detail ? `: ${detail}` : ""}`, {
      hint: "fix what GitHub names above and run again",
      data,
    });
  return responseError(http.status, http.headers, url, s.site, detail);
}
