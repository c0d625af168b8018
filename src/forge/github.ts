// GitHub (and GitHub Enterprise) issues through @octokit/rest. Octokit's fetch is routed through
// http.ts, so timeouts, rate limits and failures follow the same policy and wording as the other
// trackers. Reads env from ctx.env only; never prints, never puts the token in a message.
import { Octokit } from "@octokit/rest";
import { type LokiError, isLokiError, messageOf, trackerError } from "../core/errors.ts";
import { run } from "../core/exec.ts";
import { apiBaseUrl, detailOf, responseError, scrub, sendWithRetry, type TrackerSite } from "./http.ts";
import { issueKey, type FetchContext, type FetchedIssue, type IssueRef } from "./types.ts";

type GithubRef = Extract<IssueRef, { tracker: "github" }>;
export type GithubToken = { value: string; source: "GITHUB_TOKEN" | "GH_TOKEN" | "gh" };

const GH_TIMEOUT_MS = 5000;
const silent = () => {};
const SILENT_LOG = { debug: silent, info: silent, warn: silent, error: silent };

export async function fetchGithubIssue(ref: GithubRef, ctx: FetchContext): Promise<FetchedIssue> {
  const key = issueKey(ref);
  const baseUrl = githubApiUrl(ref, ctx);
  const token = await githubToken(ref, ctx);
  if (!token) throw trackerError(`no GitHub token to fetch ${key}`, { hint: "set GITHUB_TOKEN, or run `gh auth login`" });
  const site = githubSite(
    token,
    baseUrl,
    key,
    "the token needs read access to the repository's issues (classic token: `repo` scope for private repos; fine-grained: Issues read)",
  );
  const octokit = octokitFor(token.value, site, ctx);
  try {
    const { data } = await octokit.rest.issues.get({ owner: ref.owner, repo: ref.repo, issue_number: ref.number });
    const labels = data.labels.map((label) => (typeof label === "string" ? label : (label.name ?? ""))).filter((name) => name !== "");
    return { tracker: "github", key, title: data.title, body: data.body ?? "", labels, url: data.html_url };
  } catch (error) {
    throw githubError(error, site, `${baseUrl}/repos/${ref.owner}/${ref.repo}/issues/${ref.number}`);
  }
}

/** Who we talk to, for http.ts's error messages: the fix for a rejected token depends on where it came from. */
export function githubSite(token: GithubToken, baseUrl: string, key: string, scopeFix: string): TrackerSite {
  const authFix = token.source === "gh" ? "run `gh auth login` again, or set a valid GITHUB_TOKEN" : `set a valid ${token.source}`;
  return { name: "GitHub", baseUrl, baseEnv: "GITHUB_API_URL", authFix, scopeFix, key, secrets: [token.value] };
}

/** An Octokit whose requests go through http.ts: one timeout, retry and error policy for GitHub. */
export function octokitFor(token: string, site: TrackerSite, ctx: FetchContext): Octokit {
  return new Octokit({
    auth: token,
    baseUrl: site.baseUrl,
    userAgent: "loki",
    log: SILENT_LOG,
    request: { fetch: (url: string, init: RequestInit) => sendWithRetry(url, init, site, ctx) },
  });
}

/** GitHub Enterprise Server serves its API under /api/v3; GHE.com (data residency) on api.<host>. */
export function githubApiUrl(ref: GithubRef, ctx: FetchContext): string {
  const scheme = ref.scheme ?? "https";
  const forHost = (host: string) => (host.endsWith(".ghe.com") ? `${scheme}://api.${host}` : `${scheme}://${host}/api/v3`);
  return apiBaseUrl(ctx.config.trackers.github.api_url, ref.host, forHost, "https://api.github.com");
}

/** GITHUB_TOKEN, then GH_TOKEN, then the gh CLI's stored login (only when gh is on ctx.env's PATH). */
export async function githubToken(ref: GithubRef, ctx: FetchContext): Promise<GithubToken | undefined> {
  for (const source of ["GITHUB_TOKEN", "GH_TOKEN"] as const) {
    const value = ctx.env[source]?.trim();
    if (value) return { value, source };
  }
  const gh = ctx.env.PATH ? Bun.which("gh", { PATH: ctx.env.PATH }) : null;
  if (!gh) return undefined;
  const argv = ref.host ? [gh, "auth", "token", "--hostname", ref.host] : [gh, "auth", "token"];
  const result = await run(argv, { env: ctx.env, replaceEnv: true, timeoutMs: GH_TIMEOUT_MS });
  const value = result.ok ? result.stdout.trim() : "";
  return value ? { value, source: "gh" } : undefined;
}

/** Octokit wraps whatever our fetch threw; unwrap ours, and classify its own HTTP errors like http.ts does. */
function githubError(error: unknown, site: TrackerSite, url: string): LokiError {
  if (isLokiError(error)) return error;
  if (error instanceof Error && isLokiError(error.cause)) return error.cause;
  const failure = error as { status?: unknown; response?: { headers?: Record<string, string>; data?: unknown } };
  if (typeof failure.status === "number" && failure.response) {
    const data = failure.response.data;
    const detail = detailOf(typeof data === "string" ? data : JSON.stringify(data ?? ""));
    return responseError(failure.status, new Headers(failure.response.headers), url, site, detail);
  }
  return trackerError(`GitHub request for ${site.key} failed: ${scrub(messageOf(error), site.secrets)}`, {
    hint: `check ${site.baseEnv} or your network`,
    cause: error,
  });
}
