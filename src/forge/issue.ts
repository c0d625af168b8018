// The one entry point for fetching a tracker issue: dispatches on the reference's tracker and
// loads that tracker's client lazily (Octokit is only loaded for GitHub). No printing.
import type { FetchContext, FetchedIssue, IssueRef } from "./types.ts";

export async function fetchIssue(ref: IssueRef, ctx: FetchContext): Promise<FetchedIssue> {
  switch (ref.tracker) {
    case "github": {
      const { fetchGithubIssue } = await import("./github.ts");
      return fetchGithubIssue(ref, ctx);
    }
    case "gitlab": {
      const { fetchGitlabIssue } = await import("./gitlab.ts");
      return fetchGitlabIssue(ref, ctx);
    }
    case "jira": {
      const { fetchJiraIssue } = await import("./jira.ts");
      return fetchJiraIssue(ref, ctx);
    }
    case "azure": {
      const { fetchAzureWorkItem } = await import("./azure.ts");
      return fetchAzureWorkItem(ref, ctx);
    }
  }
}
