// The outcome of a run, commented back on the issue it came from: GitHub, GitLab, Jira (REST v2,
// wiki markup) or Azure DevOps (Markdown comments). Reads env from ctx.env only; never prints.
import { trackerError } from "../core/errors.ts";
import { field, sendJson } from "./http-json.ts";
import { azureAuth } from "./azure.ts";
import { type TrackerSite } from "./http.ts";
import { jiraAuth } from "./jira.ts";
import type { IssueComment } from "./pr-types.ts";
import { issueKey, type FetchContext, type IssueRef } from "./types.ts";

type JiraRef = Extract<IssueRef, { tracker: "jira" }>;
type AzureRef = Extract<IssueRef, { tracker: "azure" }>;
type Credential = { header: string; token: string; authFix: string };

/** Post the comment; returns the comment's (or the issue's) page when the tracker makes it known. */
export async function commentOnIssue(comment: IssueComment, ctx: FetchContext): Promise<string | null> {
  const { ref, body } = comment;
  switch (ref.tracker) {
    case "github":
      return (await import("./github-pr.ts")).commentGithubIssue(ref, body, ctx);
    case "gitlab":
      return (await import("./gitlab-mr.ts")).noteGitlabIssue(ref, body, ctx);
    case "jira":
      return commentJira(ref, body, ctx);
    case "azure":
      return commentAzure(ref, body, ctx);
  }
}

async function commentJira(ref: JiraRef, body: string, ctx: FetchContext): Promise<string | null> {
  const baseUrl = (ref.baseUrl ?? ctx.config.trackers.jira.base_url)?.replace(/\/+$/, "");
  if (!baseUrl)
    throw trackerError(`no Jira site to comment on ${ref.key}`, { hint: "set JIRA_BASE_URL (e.g. https://your-team.atlassian.net)" });
  const auth = jiraCredential(ctx);
  if (!auth)
    throw trackerError(`no Jira credentials to comment on ${ref.key}`, {
      hint: "set JIRA_EMAIL and JIRA_API_TOKEN (Jira Cloud), or JIRA_TOKEN (Data Center)",
    });
  const site = siteFor(
    "Jira",
    baseUrl,
    "JIRA_BASE_URL",
    auth,
    "the account needs the Add Comments permission on the issue's project",
    ref.key,
  );
  const url = `${baseUrl}/rest/api/2/issue/${encodeURIComponent(ref.key)}/comment`;
  const answer = await sendJson(
    { method: "POST", url, headers: { authorization: auth.header }, body: { body: markdownToJiraWiki(body) }, what: `issue ${ref.key}` },
    site,
    ctx,
  );
  const id = field(answer.data, "id", "string");
  return `${baseUrl}/browse/${encodeURIComponent(ref.key)}${id ? `?focusedCommentId=${id}` : ""}`;
}

async function commentAzure(ref: AzureRef, body: string, ctx: FetchContext): Promise<string | null> {
  const orgUrl = (ref.orgUrl ?? ctx.config.trackers.azure.org_url ?? `https://dev.azure.com/${encodeURIComponent(ref.org)}`).replace(
    /\/+$/,
    "",
  );
  const auth = azureCredential(ctx);
  if (!auth)
    throw trackerError(`no Azure DevOps token to comment on ${issueKey(ref)}`, {
      hint: "set AZURE_DEVOPS_TOKEN to a personal access token with the Work Items (Read & write) scope",
    });
  const site = siteFor(
    "Azure DevOps",
    orgUrl,
    "AZURE_DEVOPS_ORG_URL",
    auth,
    "the token needs the Work Items (Read & write) scope and access to the project",
    issueKey(ref),
  );
  const project = `${orgUrl}/${encodeURIComponent(ref.project)}`;
  // format=markdown needs Comments API 7.1-preview.4; without it Azure treats the text as HTML.
  const url = `${project}/_apis/wit/workItems/${ref.id}/comments?format=markdown&api-version=7.1-preview.4`;
  await sendJson(
    { method: "POST", url, headers: { authorization: auth.header }, body: { text: body }, what: `work item ${issueKey(ref)}` },
    site,
    ctx,
  );
  return `${project}/_workitems/edit/${ref.id}`;
}

/** The same credentials issue fetching uses (jira.ts, azure.ts), with the fix to name on a 401. */
function jiraCredential(ctx: FetchContext): Credential | undefined {
  const auth = jiraAuth(ctx);
  return {
    header: auth.header,
    token: auth.token,
    authFix: auth.kind === "basic" ? "set a valid JIRA_API_TOKEN for JIRA_EMAIL" : "set a valid JIRA_TOKEN",
  };
}

function azureCredential(ctx: FetchContext): Credential | undefined {
  const auth = azureAuth(ctx);
  if (!auth) return undefined;
  return {
    header: auth.header,
    token: auth.token,
    authFix:
      auth.source === "AZURE_DEVOPS_TOKEN"
        ? "set a valid AZURE_DEVOPS_TOKEN (an unexpired PAT for this organization)"
        : "set a valid SYSTEM_ACCESSTOKEN",
  };
}

function siteFor(name: string, baseUrl: string, baseEnv: string, auth: Credential, scopeFix: string, key: string): TrackerSite {
  return { name, baseUrl, baseEnv, authFix: auth.authFix, scopeFix, key, secrets: [auth.token] };
}

/** Jira REST v2 renders wiki markup: the Markdown loki writes (headings, bold, code, links) in its terms. */
export function markdownToJiraWiki(markdown: string): string {
  const out: string[] = [];
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*```/.test(line)) {
      out.push("{code}");
      fenced = !fenced;
      continue;
    }
    if (fenced) {
      out.push(line);
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    const text = heading ? `h${heading[1]?.length}. ${heading[2]}` : line;
    out.push(
      text
        .replace(/\*\*(.+?)\*\*/g, "*$1*")
        .replace(/`([^`]+)`/g, "{{$1}}")
        .replace(/\[([^\]]+)\]\((\S+?)\)/g, "[$1|$2]"),
    );
  }
  return out.join("\n");
}
