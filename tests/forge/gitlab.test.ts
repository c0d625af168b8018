// GitLab specifics on top of the shared contract: the CI job token, token precedence, null
// descriptions, and which API base an issue on another GitLab server uses.
import { describe, expect, test } from "bun:test";
import { isLokiError } from "../../src/core/errors.ts";
import { fetchGitlabIssue, gitlabApiUrl } from "../../src/forge/gitlab.ts";
import { startFakeTracker, trackerConfig } from "../helpers/fake-tracker.ts";

const REF = { tracker: "gitlab", project: "platform/web app", number: 9 } as const;
const PATH = "/projects/platform%2Fweb%20app/issues/9";
const ISSUE = { title: "Dark mode", description: null, labels: ["ux"], web_url: "https://gitlab.example/platform/web-app/-/issues/9" };

const configAt = (base?: string) => trackerConfig({ gitlab: { api_url: base } });

describe("gitlab", () => {
  test("inside GitLab CI, CI_JOB_TOKEN is sent as JOB-TOKEN", async () => {
    await using server = await startFakeTracker();
    server.route("GET", PATH, { json: ISSUE });
    const issue = await fetchGitlabIssue(REF, { config: configAt(server.url), env: { CI_JOB_TOKEN: "job-123" } });
    expect(issue).toMatchObject({ key: "platform/web app#9", title: "Dark mode", body: "", labels: ["ux"] });
    expect(server.requests[0]?.headers["job-token"]).toBe("job-123");
    expect(server.requests[0]?.headers["private-token"]).toBeUndefined();
  });

  test("GITLAB_TOKEN wins over CI_JOB_TOKEN", async () => {
    await using server = await startFakeTracker();
    server.route("GET", PATH, { json: ISSUE });
    await fetchGitlabIssue(REF, { config: configAt(server.url), env: { CI_JOB_TOKEN: "job-123", GITLAB_TOKEN: "glpat-x" } });
    expect(server.requests[0]?.headers).toMatchObject({ "private-token": "glpat-x" });
    expect(server.requests[0]?.headers["job-token"]).toBeUndefined();
  });

  test("a rejected job token names CI_JOB_TOKEN", async () => {
    await using server = await startFakeTracker();
    server.route("GET", PATH, { status: 401, json: { message: "401 Unauthorized" } });
    const error = await fetchGitlabIssue(REF, { config: configAt(server.url), env: { CI_JOB_TOKEN: "job-123" } }).catch((e: unknown) => e);
    expect(isLokiError(error) && error.hint).toBe("set a valid CI_JOB_TOKEN");
  });

  test("an answer without a title (a wrong base URL) is an error, not an empty issue", async () => {
    await using server = await startFakeTracker();
    server.route("GET", PATH, { json: { hello: "world" } });
    const error = await fetchGitlabIssue(REF, { config: configAt(server.url), env: { GITLAB_TOKEN: "glpat-x" } }).catch((e: unknown) => e);
    expect(isLokiError(error) && error.hint).toContain("/api/v4");
  });

  test("API base: gitlab.com, the issue's own host, and CI_API_V4_URL for the same host", () => {
    const ctx = (base?: string) => ({ config: configAt(base), env: {} });
    expect(gitlabApiUrl(REF, ctx())).toBe("https://gitlab.com/api/v4");
    expect(gitlabApiUrl({ ...REF, host: "git.corp" }, ctx())).toBe("https://git.corp/api/v4");
    expect(gitlabApiUrl({ ...REF, host: "git.corp" }, ctx("https://git.corp/gitlab/api/v4"))).toBe("https://git.corp/gitlab/api/v4");
    expect(gitlabApiUrl(REF, ctx("https://git.corp/api/v4"))).toBe("https://git.corp/api/v4");
  });
});
