// Jira issues over REST v2 (Cloud with email + API token, Data Center with a personal access
// token). The description arrives as wiki markup (or ADF) and leaves as Markdown. No printing.
import { trackerError } from "../core/errors.ts";
import { basicAuth, getJson, type TrackerSite } from "./http.ts";
import { adfToMarkdown } from "./markup.ts";
import { jiraWikiToMarkdown } from "./markup-wiki.ts";
import type { FetchContext, FetchedIssue, IssueRef } from "./types.ts";

type JiraRef = Extract<IssueRef, { tracker: "jira" }>;
type JiraIssue = { key?: unknown; fields?: { summary?: unknown; description?: unknown; labels?: unknown } };

export async function fetchJiraIssue(ref: JiraRef, ctx: FetchContext): Promise<FetchedIssue> {
  const baseUrl = (ref.baseUrl ?? ctx.config.trackers.jira.base_url)?.replace(/\/+$/, "");
  if (!baseUrl) {
    throw trackerError(`no Jira site to fetch ${ref.key} from`, {
      hint: "set JIRA_BASE_URL (e.g. https://your-team.atlassian.net), or pass the issue's full URL",
    });
  }
  const auth = jiraAuth(ctx);
  const site: TrackerSite = {
    name: "Jira",
    baseUrl,
    baseEnv: "JIRA_BASE_URL",
    authFix: auth.kind === "basic" ? "set a valid JIRA_API_TOKEN for JIRA_EMAIL" : "set a valid JIRA_TOKEN",
    scopeFix: "the account needs the Browse Projects permission on the issue's project",
    key: ref.key,
    secrets: [auth.token],
  };
  const url = `${baseUrl}/rest/api/2/issue/${encodeURIComponent(ref.key)}?fields=summary,description,labels`;
  const issue = (await getJson(url, { authorization: auth.header }, site, ctx)) as JiraIssue;
  const fields = issue.fields ?? {};
  if (typeof fields.summary !== "string")
    throw trackerError(`Jira returned no summary for ${ref.key} from ${url}`, {
      hint: "check JIRA_BASE_URL: it should be the site root, without /rest/...",
    });
  const key = typeof issue.key === "string" ? issue.key : ref.key;
  return {
    tracker: "jira",
    key,
    title: fields.summary,
    body: descriptionToMarkdown(fields.description),
    labels: Array.isArray(fields.labels) ? fields.labels.filter((label): label is string => typeof label === "string") : [],
    url: `${baseUrl}/browse/${key}`,
  };
}

/** API v2 sends wiki markup; a v3-style proxy or a newer site may send an ADF document instead. */
function descriptionToMarkdown(description: unknown): string {
  if (typeof description === "string") return jiraWikiToMarkdown(description);
  if (description && typeof description === "object") return adfToMarkdown(description);
  return "";
}

type JiraAuth = { kind: "basic" | "bearer"; header: string; token: string };

/** Cloud: email + API token as Basic. Data Center: a personal access token as Bearer. */
export function jiraAuth(ctx: FetchContext): JiraAuth {
  const email = ctx.env.JIRA_EMAIL?.trim() || ctx.config.trackers.jira.email;
  const apiToken = ctx.env.JIRA_API_TOKEN?.trim();
  const pat = ctx.env.JIRA_TOKEN?.trim();
  if (email && apiToken) return { kind: "basic", header: basicAuth(email, apiToken), token: apiToken };
  if (pat) return { kind: "bearer", header: `Bearer ${pat}`, token: pat };
  if (apiToken)
    throw trackerError("JIRA_API_TOKEN is set but JIRA_EMAIL is not", {
      hint: "set JIRA_EMAIL to the Atlassian account email that owns the API token",
    });
  throw trackerError("no Jira credentials", {
    hint: "set JIRA_EMAIL and JIRA_API_TOKEN (Jira Cloud), or JIRA_TOKEN (a Data Center personal access token)",
  });
}
