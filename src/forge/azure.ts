// Azure DevOps work items over REST (api-version 7.1): title, HTML description and acceptance
// criteria converted to Markdown, tags as labels. Reads env from ctx.env only; no printing.
import { trackerError } from "../core/errors.ts";
import { basicAuth, getJson, type TrackerSite } from "./http.ts";
import { htmlToMarkdown } from "./markup-html.ts";
import { issueKey, type FetchContext, type FetchedIssue, type IssueRef } from "./types.ts";

type AzureRef = Extract<IssueRef, { tracker: "azure" }>;
type WorkItem = { fields?: Record<string, unknown>; _links?: { html?: { href?: unknown } } };

export async function fetchAzureWorkItem(ref: AzureRef, ctx: FetchContext): Promise<FetchedIssue> {
  const key = issueKey(ref);
  const orgUrl = (ref.orgUrl ?? ctx.config.trackers.azure.org_url ?? `https://dev.azure.com/${encodeURIComponent(ref.org)}`).replace(
    /\/+$/,
    "",
  );
  const auth = azureAuth(ctx);
  if (!auth) {
    throw trackerError(`no Azure DevOps token to fetch ${key}`, {
      hint: "set AZURE_DEVOPS_TOKEN to a personal access token with the Work Items (Read) scope",
    });
  }
  const site: TrackerSite = {
    name: "Azure DevOps",
    baseUrl: orgUrl,
    baseEnv: "AZURE_DEVOPS_ORG_URL",
    authFix: `set a valid ${auth.source} (an unexpired PAT for this organization)`,
    scopeFix: "the token needs the Work Items (Read) scope and access to the project",
    key,
    secrets: [auth.token],
  };
  const project = `${orgUrl}/${encodeURIComponent(ref.project)}`;
  const url = `${project}/_apis/wit/workitems/${ref.id}?api-version=7.1`;
  const item = (await getJson(url, { authorization: auth.header }, site, ctx)) as WorkItem;
  const fields = item.fields ?? {};
  const title = fields["System.Title"];
  if (typeof title !== "string")
    throw trackerError(`Azure DevOps returned no title for ${key} from ${url}`, {
      hint: "check AZURE_DEVOPS_ORG_URL: it should be the organization URL",
    });
  const href = item._links?.html?.href;
  return {
    tracker: "azure",
    key,
    title,
    body: workItemBody(fields),
    labels: splitTags(fields["System.Tags"]),
    url: typeof href === "string" ? href : `${project}/_workitems/edit/${ref.id}`,
  };
}

/** Description, then the acceptance criteria field (where Azure teams keep the checklist). */
function workItemBody(fields: Record<string, unknown>): string {
  const html = (name: string) => (typeof fields[name] === "string" ? htmlToMarkdown(fields[name]) : "");
  const description = html("System.Description");
  const criteria = html("Microsoft.VSTS.Common.AcceptanceCriteria");
  if (!criteria) return description;
  return `${description ? `${description}\n\n` : ""}## Acceptance criteria\n\n${criteria}`;
}

function splitTags(tags: unknown): string[] {
  if (typeof tags !== "string") return [];
  return tags
    .split(";")
    .map((tag) => tag.trim())
    .filter((tag) => tag !== "");
}

/** A PAT goes as Basic with an empty user; Azure Pipelines' own token (System.AccessToken) as Bearer. */
export function azureAuth(ctx: FetchContext): { header: string; token: string; source: string } | undefined {
  const pat = ctx.env.AZURE_DEVOPS_TOKEN?.trim();
  if (pat) return { header: basicAuth("", pat), token: pat, source: "AZURE_DEVOPS_TOKEN" };
  const pipeline = ctx.env.SYSTEM_ACCESSTOKEN?.trim();
  if (pipeline) return { header: `Bearer ${pipeline}`, token: pipeline, source: "SYSTEM_ACCESSTOKEN" };
  return undefined;
}
