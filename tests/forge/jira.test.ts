// Jira specifics on top of the shared contract: Data Center bearer tokens, the site taken from an
// issue URL, missing site or e-mail, and descriptions in wiki markup or ADF becoming Markdown.
import { describe, expect, test } from "bun:test";
import { type LokiError, isLokiError } from "../../src/core/errors.ts";
import { fetchJiraIssue } from "../../src/forge/jira.ts";
import { startFakeTracker, trackerConfig } from "../helpers/fake-tracker.ts";

const REF = { tracker: "jira", key: "OPS-4" } as const;
const PATH = "/rest/api/2/issue/OPS-4";
const TOKEN_ENV = { JIRA_TOKEN: "dc-pat" };

const configAt = (base?: string) => trackerConfig({ jira: { base_url: base } });

async function jiraFailure(env: Record<string, string>, config = configAt("http://127.0.0.1:9")): Promise<LokiError> {
  const error = await fetchJiraIssue(REF, { config, env }).catch((e: unknown) => e);
  if (!isLokiError(error)) throw new Error("expected a LokiError");
  return error;
}

describe("jira", () => {
  test("a Data Center personal access token is sent as Bearer; wiki markup becomes Markdown", async () => {
    await using server = await startFakeTracker();
    const description = "h2. Acceptance criteria\n# Login works\n## with SSO\n# Logout works\n{code:bash}\nmake test\n{code}";
    server.route("GET", PATH, { json: { key: "OPS-4", fields: { summary: "Auth", description, labels: [] } } });
    const issue = await fetchJiraIssue(REF, { config: configAt(server.url), env: TOKEN_ENV });
    expect(server.requests[0]?.headers.authorization).toBe("Bearer dc-pat");
    expect(issue.body).toBe("## Acceptance criteria\n1. Login works\n   1. with SSO\n2. Logout works\n\n```bash\nmake test\n```");
  });

  test("the site from an issue URL wins over JIRA_BASE_URL", async () => {
    await using server = await startFakeTracker();
    server.route("GET", PATH, { json: { fields: { summary: "Auth", description: null, labels: ["sec"] } } });
    const issue = await fetchJiraIssue({ ...REF, baseUrl: `${server.url}/` }, { config: configAt("http://127.0.0.1:9"), env: TOKEN_ENV });
    expect(issue).toMatchObject({ key: "OPS-4", body: "", labels: ["sec"], url: `${server.url}/browse/OPS-4` });
  });

  test("the e-mail may come from config instead of JIRA_EMAIL", async () => {
    await using server = await startFakeTracker();
    server.route("GET", PATH, { json: { fields: { summary: "Auth" } } });
    const config = trackerConfig({ jira: { base_url: server.url, email: "me@corp.example" } });
    await fetchJiraIssue(REF, { config, env: { JIRA_API_TOKEN: "cloud-token" } });
    expect(server.requests[0]?.headers.authorization).toBe(`Basic ${btoa("me@corp.example:cloud-token")}`);
  });

  test("an ADF description (API v3 style) becomes Markdown too", async () => {
    await using server = await startFakeTracker();
    const adf = {
      type: "doc",
      version: 1,
      content: [
        { type: "heading", attrs: { level: 3 }, content: [{ type: "text", text: "Done when" }] },
        { type: "taskList", content: [{ type: "taskItem", attrs: { state: "TODO" }, content: [{ type: "text", text: "tests pass" }] }] },
      ],
    };
    server.route("GET", PATH, { json: { fields: { summary: "Auth", description: adf } } });
    const issue = await fetchJiraIssue(REF, { config: configAt(server.url), env: TOKEN_ENV });
    expect(issue.body).toBe("### Done when\n\n- [ ] tests pass");
  });

  test("no site configured names JIRA_BASE_URL", async () => {
    const error = await jiraFailure(TOKEN_ENV, configAt(undefined));
    expect(error.hint).toContain("JIRA_BASE_URL");
  });

  test("no credentials names both the Cloud and the Data Center option", async () => {
    const error = await jiraFailure({});
    expect(error.hint).toContain("JIRA_EMAIL and JIRA_API_TOKEN");
    expect(error.hint).toContain("JIRA_TOKEN");
  });

  test("an API token without an e-mail asks for JIRA_EMAIL", async () => {
    const error = await jiraFailure({ JIRA_API_TOKEN: "cloud-token" });
    expect(error.message).toBe("JIRA_API_TOKEN is set but JIRA_EMAIL is not");
  });

  test("Jira's errorMessages are passed on", async () => {
    await using server = await startFakeTracker();
    server.route("GET", PATH, { status: 400, json: { errorMessages: ["Field 'labels' does not exist"], errors: {} } });
    const error = await jiraFailure(TOKEN_ENV, configAt(server.url));
    expect(error.message).toEndWith(": Field 'labels' does not exist");
  });
});
