// GitLab issues over REST v4 (gitlab.com, self-managed, and inside GitLab CI with a job token).
// Reads env from ctx.env only; never prints, never puts a token in a message.
import { trackerError } from "../core/errors.ts";
import { apiBaseUrl, getJson, type TrackerSite } from "./http.ts";
import { issueKey, type FetchContext, type FetchedIssue, type IssueRef } from "./types.ts";

type GitlabRef = Extract<IssueRef, { tracker: "gitlab" }>;

type GitlabIssue = { title?: unknown; description?: unknown; labels?: unknown; web_url?: unknown };

export async function fetchGitlabIssue(ref: GitlabRef, ctx: FetchContext): Promise<FetchedIssue> {
  const key = issueKey(ref);
  const baseUrl = gitlabApiUrl(ref, ctx);
  const auth = gitlabAuth(ctx);
  if (!auth) {
    throw trackerError(`no GitLab token to fetch ${key}`, {
      hint: "set GITLAB_TOKEN to a personal or project access token with read_api scope (inside GitLab CI, CI_JOB_TOKEN is used)",
    });
  }
  const site: TrackerSite = {
    name: "GitLab",
    baseUrl,
    baseEnv: "GITLAB_API_URL",
    authFix: `set a valid ${auth.source}`,
    scopeFix: "the token needs the read_api scope and at least Guest access to the project",
    key,
    secrets: [auth.value],
  };
  // GitLab addresses a project by its full path with every "/" encoded as %2F.
  const url = `${baseUrl}/projects/${encodeURIComponent(ref.project)}/issues/${ref.number}`;
  const issue = (await getJson(url, { [auth.header]: auth.value }, site, ctx)) as GitlabIssue;
  if (typeof issue.title !== "string")
    throw trackerError(`GitLab returned no issue title for ${key} from ${url}`, { hint: "check GITLAB_API_URL: it should end in /api/v4" });
  return {
    tracker: "gitlab",
    key,
    title: issue.title,
    body: typeof issue.description === "string" ? issue.description : "",
    labels: Array.isArray(issue.labels) ? issue.labels.filter((label): label is string => typeof label === "string") : [],
    url: typeof issue.web_url === "string" ? issue.web_url : url,
  };
}

export function gitlabApiUrl(ref: GitlabRef, ctx: FetchContext): string {
  return apiBaseUrl(
    ctx.config.trackers.gitlab.api_url,
    ref.host,
    (host) => `${ref.scheme ?? "https"}://${host}/api/v4`,
    "https://gitlab.com/api/v4",
  );
}

/** A personal/project token wins; a CI job token is the fallback inside GitLab CI. */
function gitlabAuth(ctx: FetchContext): { header: string; value: string; source: string } | undefined {
  const token = ctx.env.GITLAB_TOKEN?.trim();
  if (token) return { header: "PRIVATE-TOKEN", value: token, source: "GITLAB_TOKEN" };
  const job = ctx.env.CI_JOB_TOKEN?.trim();
  if (job) return { header: "JOB-TOKEN", value: job, source: "CI_JOB_TOKEN" };
  return undefined;
}
