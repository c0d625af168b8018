// The forge facade a delivered run calls: repository facts before any agent spend, open-or-update
// the PR/MR, wait for the repository's checks, merge; and which repository a remote or issue names.
// Lazy-imports the GitHub or GitLab module. Never prints, never exits; progress goes to a callback.
import type { Config } from "../core/config.ts";
import { isLokiError } from "../core/errors.ts";
import type { ChecksState, MergeMethod, MergeResult, PullRequest, PullRequestInput, RepoFacts, RepoRef } from "./pr-types.ts";
import type { FetchContext, IssueRef } from "./types.ts";

export async function inspectRepo(repo: RepoRef, ctx: FetchContext): Promise<RepoFacts> {
  if (repo.forge === "github") return (await import("./github-pr.ts")).inspectGithubRepo(repo, ctx);
  return (await import("./gitlab-mr.ts")).inspectGitlabProject(repo, ctx);
}

/** Open a PR/MR for `head`, or update the open one (title, body): never a duplicate. */
export async function upsertPullRequest(input: PullRequestInput, ctx: FetchContext): Promise<PullRequest> {
  const repo = input.repo;
  if (repo.forge === "github") return (await import("./github-pr.ts")).upsertGithubPr({ ...input, repo }, ctx);
  return (await import("./gitlab-mr.ts")).upsertGitlabMr({ ...input, repo }, ctx);
}

/** The commit's checks now. No checks and no statuses (no pipeline) is `success` with total 0. */
export async function checksFor(repo: RepoRef, sha: string, ctx: FetchContext): Promise<ChecksState> {
  if (repo.forge === "github") return (await import("./github-pr.ts")).githubChecks(repo, sha, ctx);
  return (await import("./gitlab-mr.ts")).gitlabChecks(repo, sha, ctx);
}

/** Merge PR/MR `number` only if its head is still `sha`; a refusal is `merged: false` with the forge's words. */
export async function mergePullRequest(
  repo: RepoRef,
  number: number,
  method: MergeMethod,
  sha: string,
  ctx: FetchContext,
): Promise<MergeResult> {
  if (repo.forge === "github") return (await import("./github-pr.ts")).mergeGithubPr(repo, number, method, sha, ctx);
  return (await import("./gitlab-mr.ts")).mergeGitlabMr(repo, number, method, sha, ctx);
}

export type WaitOptions = {
  timeoutMs: number;
  pollMs: number;
  /** Called after every poll. While CI may not have registered yet it sees `pending` with total 0. */
  onProgress?: (state: ChecksState, elapsedMs: number) => void;
  /** How long "no checks at all" still counts as CI not started; default three polls, at most the timeout. */
  graceMs?: number;
  /** Tests pass a fake clock: `sleep` must advance what `now` returns. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
};

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Consecutive network failures a wait rides out before giving up. */
const MAX_BLIPS = 3;

/**
 * Poll until the checks succeed or fail, or the timeout passes (then the last, pending, state).
 * Right after a push GitHub/GitLab may not have registered any check yet, so "none at all" is
 * accepted as "no CI configured" (success, total 0) only after the grace period.
 */
export async function waitForChecks(repo: RepoRef, sha: string, options: WaitOptions, ctx: FetchContext): Promise<ChecksState> {
  const sleep = options.sleep ?? realSleep;
  const now = options.now ?? Date.now;
  const grace = Math.min(options.graceMs ?? 3 * options.pollMs, options.timeoutMs);
  const start = now();
  let last: ChecksState | null = null;
  let blips = 0;
  for (;;) {
    const state = await checksFor(repo, sha, ctx).catch((error: unknown) => {
      // A dropped connection during a long wait is not a verdict; an answer (401, 404, …) is.
      if (!isBlip(error) || ++blips >= MAX_BLIPS || (last === null && now() - start >= options.timeoutMs)) throw error;
      return null;
    });
    const elapsed = now() - start;
    if (state) {
      blips = 0;
      last = state;
      const settling = state.state === "success" && state.total === 0 && elapsed < grace;
      options.onProgress?.(settling ? { ...state, state: "pending" } : state, elapsed);
      if (state.state === "failure" || (state.state === "success" && !settling)) return state;
    }
    if (elapsed >= options.timeoutMs && last) return last;
    await sleep(Math.max(0, Math.min(options.pollMs, options.timeoutMs - elapsed)));
  }
}

/** The host could not be reached or stopped answering: http.ts gives those a cause and no status. */
function isBlip(error: unknown): boolean {
  return isLokiError(error) && error.cause !== undefined && error.data.status === undefined;
}

/** The repository a GitHub or GitLab issue lives in; Jira and Azure DevOps issues name none. */
export function repoFromIssue(ref: IssueRef): RepoRef | null {
  if (ref.tracker === "jira" || ref.tracker === "azure") return null;
  const where = { ...(ref.host ? { host: ref.host } : {}), ...(ref.scheme ? { scheme: ref.scheme } : {}) };
  return ref.tracker === "github"
    ? { forge: "github", owner: ref.owner, repo: ref.repo, ...where }
    : { forge: "gitlab", project: ref.project, ...where };
}

type Remote = { host: string; path: string; http: boolean };

/**
 * The repository an `origin` URL names: scp-style `git@host:o/r.git`, `https://host/o/r(.git)`,
 * `ssh://git@host[:port]/o/r.git`. github.com is GitHub; a host containing "gitlab" or serving
 * trackers.gitlab.api_url is GitLab; the host of trackers.github.api_url is GitHub Enterprise.
 */
export function repoFromRemote(url: string, config: Config): RepoRef | null {
  const remote = parseRemote(url.trim());
  if (!remote) return null;
  const segments = remote.path.split("/").filter((part) => part !== "");
  const scheme = remote.http ? { scheme: "http" as const } : {};
  const githubApi = urlOf(config.trackers.github.api_url);
  const gitlabApi = urlOf(config.trackers.gitlab.api_url);
  const [owner, repo] = segments;
  if (["github.com", "www.github.com", "ssh.github.com"].includes(remote.host)) {
    return segments.length === 2 && owner && repo ? { forge: "github", owner, repo } : null;
  }
  if (githubApi && serves(githubApi, remote.host)) {
    return segments.length === 2 && owner && repo ? { forge: "github", owner, repo, host: remote.host, ...scheme } : null;
  }
  const servesGitlab = gitlabApi !== undefined && serves(gitlabApi, remote.host);
  if (!servesGitlab && !remote.host.includes("gitlab")) return null;
  // A GitLab under a relative URL root (https://git.corp/gitlab/api/v4) serves projects below that root.
  const root = servesGitlab
    ? gitlabApi.pathname
        .replace(/\/api\/v4\/?$/, "")
        .split("/")
        .filter((part) => part !== "")
    : [];
  const project = (root.every((part, i) => segments[i] === part) ? segments.slice(root.length) : segments).join("/");
  if (!project.includes("/")) return null;
  return remote.host === "gitlab.com" ? { forge: "gitlab", project } : { forge: "gitlab", project, host: remote.host, ...scheme };
}

function parseRemote(url: string): Remote | null {
  const clean = (path: string) =>
    path
      .replace(/^\/+/, "")
      .replace(/\/+$/, "")
      .replace(/\.git$/, "");
  // Two characters at least, so a Windows drive (C:\repo) is not a host.
  const scp = /^(?:[^@/\s]+@)?([^:/\s]{2,}):(?!\/\/)(.+)$/.exec(url);
  if (scp?.[1] && scp[2]) return { host: scp[1].toLowerCase(), path: clean(scp[2]), http: false };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const web = parsed.protocol === "https:" || parsed.protocol === "http:";
  if (!web && !["ssh:", "git+ssh:", "git:"].includes(parsed.protocol)) return null;
  // An ssh port says nothing about the web/API host; an https port does.
  return {
    host: (web ? parsed.host : parsed.hostname).toLowerCase(),
    path: clean(decodeURIComponent(parsed.pathname)),
    http: parsed.protocol === "http:",
  };
}

/** The API at `api` serves web host `host` (with or without port, or as api.<host>). */
function serves(api: URL, host: string): boolean {
  return [api.host, api.hostname].includes(host) || api.hostname === `api.${host}`;
}

function urlOf(value: string | undefined): URL | undefined {
  try {
    return value ? new URL(value) : undefined;
  } catch {
    return undefined;
  }
}
