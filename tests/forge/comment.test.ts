// The outcome commented back on the originating issue, per tracker: the right path, auth header and
// body shape, against the fake forge; plus the Markdown → Jira wiki markup conversion.
import { describe, expect, test } from "bun:test";
import { isLokiError } from "../../src/core/errors.ts";
import { commentOnIssue, markdownToJiraWiki } from "../../src/forge/comment.ts";
import { basicAuth } from "../../src/forge/http.ts";
import { startFakeForge } from "../helpers/fake-forge.ts";
import { fakeSleep } from "../helpers/fake-tracker.ts";

const BODY = "✅ loki verified this work\n\nPull request: https://github.com/acme/rocket/pull/8";

describe("commentOnIssue", () => {
  test("GitHub: POST /repos/{o}/{r}/issues/{n}/comments with the token", async () => {
    await using forge = await startFakeForge();
    forge.github.addRepo("acme/rocket");
    forge.github.addIssue("acme/rocket", 7);
    const url = await commentOnIssue(
      { ref: { tracker: "github", owner: "acme", repo: "rocket", number: 7 }, body: BODY },
      { config: forge.config(), env: forge.env },
    );
    expect(url).toBe("https://github.com/acme/rocket/issues/7#issuecomment-1");
    expect(forge.github.comments).toEqual([{ issue: "acme/rocket#7", body: BODY }]);
    expect(forge.requests[0]).toMatchObject({
      method: "POST",
      path: "/repos/acme/rocket/issues/7/comments",
      headers: { authorization: `token ${forge.tokens.github}` },
    });
  });

  test("GitLab: POST /projects/:id/issues/:iid/notes with PRIVATE-TOKEN", async () => {
    await using forge = await startFakeForge();
    forge.gitlab.addProject("group/app");
    forge.gitlab.addIssue("group/app", 3);
    await commentOnIssue(
      { ref: { tracker: "gitlab", project: "group/app", number: 3 }, body: BODY },
      { config: forge.config(), env: forge.env },
    );
    expect(forge.gitlab.notes).toEqual([{ issue: "group/app#3", body: BODY }]);
    expect(forge.requests[0]).toMatchObject({
      path: "/api/v4/projects/group%2Fapp/issues/3/notes",
      headers: { "private-token": forge.tokens.gitlab },
      body: { body: BODY },
    });
  });

  test("Jira: POST /rest/api/2/issue/{key}/comment as Basic email:token, in wiki markup", async () => {
    await using forge = await startFakeForge();
    forge.jira.addIssue("ABC-12");
    const url = await commentOnIssue(
      { ref: { tracker: "jira", key: "ABC-12" }, body: "Branch `loki/abc-12` · [PR](https://x/pr/1)" },
      { config: forge.config(), env: forge.env },
    );
    expect(url).toBe(`${forge.jira.baseUrl}/browse/ABC-12?focusedCommentId=10001`);
    expect(forge.jira.comments).toEqual([{ issue: "ABC-12", body: "Branch {{loki/abc-12}} · [PR|https://x/pr/1]" }]);
    expect(forge.requests[0]?.headers.authorization).toBe(basicAuth(forge.tokens.jiraEmail, forge.tokens.jira));
  });

  test("Azure DevOps: POST …/_apis/wit/workItems/{id}/comments as Markdown, PAT as Basic", async () => {
    await using forge = await startFakeForge();
    forge.azure.addWorkItem("contoso", "Web Shop", 45);
    const ref = { tracker: "azure", org: "contoso", project: "Web Shop", id: 45, orgUrl: forge.azure.orgUrl("contoso") } as const;
    const url = await commentOnIssue({ ref, body: BODY }, { config: forge.config(), env: forge.env });
    expect(url).toBe(`${forge.azure.orgUrl("contoso")}/Web%20Shop/_workitems/edit/45`);
    expect(forge.azure.comments).toEqual([{ issue: "contoso/Web Shop#45", body: BODY }]);
    expect(forge.requests[0]).toMatchObject({
      path: "/azure/contoso/Web%20Shop/_apis/wit/workItems/45/comments",
      query: "format=markdown&api-version=7.1-preview.4",
      headers: { authorization: basicAuth("", forge.tokens.azure) },
    });
  });

  test("a missing issue (404) and missing credentials are clear tracker errors", async () => {
    await using forge = await startFakeForge();
    const ctx = { config: forge.config(), env: forge.env, sleep: fakeSleep().sleep };
    const missing = await commentOnIssue({ ref: { tracker: "jira", key: "ABC-404" }, body: "x" }, ctx).catch((e: unknown) => e);
    expect(isLokiError(missing) && missing.message).toStartWith("Jira: issue ABC-404 not found at");
    const noAuth = await commentOnIssue(
      { ref: { tracker: "azure", org: "o", project: "p", id: 1 }, body: "x" },
      { config: forge.config(), env: {} },
    ).catch((e: unknown) => e);
    expect(isLokiError(noAuth) && noAuth.message).toBe("no Azure DevOps token to comment on o/p#1");
  });
});

test("markdownToJiraWiki: headings, bold, code, links and fences", () => {
  const md = ["## Outcome", "**verified** in `3` iterations, see [the PR](https://x/1)", "```", "**kept** `as is`", "```"].join("\n");
  expect(markdownToJiraWiki(md)).toBe(
    ["h2. Outcome", "*verified* in {{3}} iterations, see [the PR|https://x/1]", "{code}", "**kept** `as is`", "{code}"].join("\n"),
  );
});
