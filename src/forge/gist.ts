// Secret GitHub gists through @octokit/rest, for `loki proof share`: same token lookup and API base
// (GITHUB_API_URL) as issue fetching, same retry policy. Never public; never puts the token in a message.
import { isLokiError, messageOf, trackerError } from "../core/errors.ts";
import { githubApiUrl, githubSite, githubToken, octokitFor } from "./github.ts";
import { detailOf, scrub, type TrackerSite } from "./http.ts";
import type { FetchContext, IssueRef } from "./types.ts";

export type GistFile = { name: string; content: string };
export type CreatedGist = { id: string; html_url: string; public: false };

// Gists belong to no repository: the token and base-URL helpers need only the (absent) host.
const NO_REPO: Extract<IssueRef, { tracker: "github" }> = { tracker: "github", owner: "", repo: "", number: 0 };

/** Where gists go: GITHUB_API_URL (config trackers.github.api_url), else api.github.com. */
export function gistApiUrl(ctx: FetchContext): string {
  return githubApiUrl(NO_REPO, ctx);
}

/** Create a SECRET gist (`public: false`) holding `files`; returns its page URL. */
export async function createSecretGist(description: string, files: readonly GistFile[], ctx: FetchContext): Promise<CreatedGist> {
  const baseUrl = gistApiUrl(ctx);
  const token = await githubToken(NO_REPO, ctx);
  if (!token)
    throw trackerError("no GitHub token to create a gist with", {
      hint: "set GITHUB_TOKEN (a token with the gist scope), or run `gh auth login`",
    });
  const site = githubSite(
    token,
    baseUrl,
    "a new gist",
    "the token needs the gist scope (classic token) or Gists write access (fine-grained)",
  );
  const octokit = octokitFor(token.value, site, ctx);
  try {
    const { data } = await octokit.rest.gists.create({
      description,
      public: false,
      files: Object.fromEntries(files.map((f) => [f.name, { content: f.content }])),
    });
    if (!data.html_url || !data.id)
      throw trackerError(`GitHub created a gist but returned no URL (from ${baseUrl})`, {
        hint: "look for it at https://gist.github.com/ under your account",
      });
    if (data.public === true)
      throw trackerError(`GitHub made the gist ${data.html_url} public`, { hint: "delete it now; loki always asks for a secret gist" });
    return { id: data.id, html_url: data.html_url, public: false };
  } catch (error) {
    throw gistError(error, site);
  }
}

function gistError(error: unknown, site: TrackerSite) {
  if (isLokiError(error)) return error;
  if (error instanceof Error && isLokiError(error.cause)) return error.cause;
  const failure = error as { status?: unknown; response?: { data?: unknown } };
  if (typeof failure.status === "number") {
    const data = failure.response?.data;
    const said = scrub(detailOf(typeof data === "string" ? data : JSON.stringify(data ?? "")), site.secrets);
    const suffix = said ? `: ${said}` : "";
    if (failure.status === 401) return trackerError(`GitHub rejected the token (401)${suffix}`, { hint: site.authFix });
    if (failure.status === 403 || failure.status === 404)
      return trackerError(`GitHub refused to create the gist (${failure.status})${suffix}`, { hint: site.scopeFix });
    return trackerError(`GitHub answered ${failure.status} creating the gist${suffix}`, {
      hint:
        failure.status >= 500 ? "GitHub is having trouble; try again later" : `check ${site.baseEnv}: it should point at the GitHub API`,
    });
  }
  return trackerError(`creating the gist failed: ${scrub(messageOf(error), site.secrets)}`, {
    hint: `check ${site.baseEnv} or your network`,
  });
}
