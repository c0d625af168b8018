// The behaviour every tracker client shares, run against each one through fetchIssue and a fake
// tracker on 127.0.0.1: mapping, auth header, API path, 404, 401, 429 retry, fail-fast, refused, no token.
import { describe, expect, test } from "bun:test";
import type { Config } from "../../src/core/config.ts";
import { type LokiError, isLokiError } from "../../src/core/errors.ts";
import { fetchIssue } from "../../src/forge/issue.ts";
import type { FetchedIssue, IssueRef } from "../../src/forge/types.ts";
import { fakeSleep, refusedUrl, startFakeTracker, trackerConfig } from "../helpers/fake-tracker.ts";

type TrackerCase = {
  name: string;
  ref: IssueRef;
  settings: (base: string) => Parameters<typeof trackerConfig>[0];
  env: Record<string, string>;
  token: string;
  path: string;
  query: string;
  auth: [header: string, value: string];
  ok: unknown;
  expected: (base: string) => FetchedIssue;
  tokenVar: string;
  baseVar: string;
  displayName: string;
};

const CASES: TrackerCase[] = [
  {
    name: "github",
    ref: { tracker: "github", owner: "acme", repo: "rocket", number: 12 },
    settings: (base) => ({ github: { api_url: base } }),
    env: { GITHUB_TOKEN: "ghp_contract_secret" },
    token: "ghp_contract_secret",
    path: "/repos/acme/rocket/issues/12",
    query: "",
    auth: ["authorization", "token ghp_contract_secret"],
    ok: {
      title: "Add login",
      body: "- [ ] form",
      labels: [{ name: "feature" }, "ui"],
      html_url: "https://github.com/acme/rocket/issues/12",
    },
    expected: () => ({
      tracker: "github",
      key: "acme/rocket#12",
      title: "Add login",
      body: "- [ ] form",
      labels: ["feature", "ui"],
      url: "https://github.com/acme/rocket/issues/12",
    }),
    tokenVar: "GITHUB_TOKEN",
    baseVar: "GITHUB_API_URL",
    displayName: "GitHub",
  },
  {
    name: "gitlab",
    ref: { tracker: "gitlab", project: "group/sub/app", number: 3 },
    settings: (base) => ({ gitlab: { api_url: base } }),
    env: { GITLAB_TOKEN: "glpat-contract-secret" },
    token: "glpat-contract-secret",
    path: "/projects/group%2Fsub%2Fapp/issues/3",
    query: "",
    auth: ["private-token", "glpat-contract-secret"],
    ok: {
      title: "Add login",
      description: "- [ ] form",
      labels: ["feature", "ui"],
      web_url: "https://gitlab.com/group/sub/app/-/issues/3",
    },
    expected: () => ({
      tracker: "gitlab",
      key: "group/sub/app#3",
      title: "Add login",
      body: "- [ ] form",
      labels: ["feature", "ui"],
      url: "https://gitlab.com/group/sub/app/-/issues/3",
    }),
    tokenVar: "GITLAB_TOKEN",
    baseVar: "GITLAB_API_URL",
    displayName: "GitLab",
  },
  {
    name: "jira",
    ref: { tracker: "jira", key: "ABC-12" },
    settings: (base) => ({ jira: { base_url: base } }),
    env: { JIRA_EMAIL: "dev@example.com", JIRA_API_TOKEN: "jira-contract-secret" },
    token: "jira-contract-secret",
    path: "/rest/api/2/issue/ABC-12",
    query: "fields=summary,description,labels",
    auth: ["authorization", `Basic ${btoa("dev@example.com:jira-contract-secret")}`],
    ok: { key: "ABC-12", fields: { summary: "Add login", description: "* [ ] form", labels: ["feature", "ui"] } },
    expected: (base) => ({
      tracker: "jira",
      key: "ABC-12",
      title: "Add login",
      body: "- [ ] form",
      labels: ["feature", "ui"],
      url: `${base}/browse/ABC-12`,
    }),
    tokenVar: "JIRA_API_TOKEN",
    baseVar: "JIRA_BASE_URL",
    displayName: "Jira",
  },
  {
    name: "azure",
    ref: { tracker: "azure", org: "acme", project: "Rocket", id: 45 },
    settings: (base) => ({ azure: { org_url: base } }),
    env: { AZURE_DEVOPS_TOKEN: "azure-contract-secret" },
    token: "azure-contract-secret",
    path: "/Rocket/_apis/wit/workitems/45",
    query: "api-version=7.1",
    auth: ["authorization", `Basic ${btoa(":azure-contract-secret")}`],
    ok: {
      id: 45,
      fields: { "System.Title": "Add login", "System.Description": "<ul><li>[ ] form</li></ul>", "System.Tags": "feature; ui" },
    },
    expected: (base) => ({
      tracker: "azure",
      key: "acme/Rocket#45",
      title: "Add login",
      body: "- [ ] form",
      labels: ["feature", "ui"],
      url: `${base}/Rocket/_workitems/edit/45`,
    }),
    tokenVar: "AZURE_DEVOPS_TOKEN",
    baseVar: "AZURE_DEVOPS_ORG_URL",
    displayName: "Azure DevOps",
  },
];

function configFor(c: TrackerCase, base: string, maxWait = 30): Config {
  return trackerConfig({ ...c.settings(base), max_retry_wait_seconds: maxWait });
}

async function failure(promise: Promise<unknown>): Promise<LokiError> {
  try {
    await promise;
  } catch (error) {
    if (isLokiError(error)) return error;
    throw error;
  }
  throw new Error("expected the fetch to fail");
}

/** Nothing a user sees (message, hint, data) may carry the token. */
function expectNoToken(error: LokiError, token: string) {
  expect(JSON.stringify({ message: error.message, hint: error.hint, data: error.data })).not.toContain(token);
}

for (const c of CASES) {
  describe(`${c.name} issue fetch`, () => {
    test("maps the issue and sends the token on the right API path", async () => {
      await using server = await startFakeTracker();
      server.route("GET", c.path, { json: c.ok });
      const issue = await fetchIssue(c.ref, { config: configFor(c, server.url), env: c.env });
      expect(issue).toEqual(c.expected(server.url));
      const [request] = server.requests;
      expect(request?.path).toBe(c.path);
      expect(request?.query).toBe(c.query);
      expect(request?.headers[c.auth[0]]).toBe(c.auth[1]);
    });

    test("404 names the issue and the URL", async () => {
      await using server = await startFakeTracker();
      server.route("GET", c.path, { status: 404, json: { message: "Not Found" } });
      const error = await failure(fetchIssue(c.ref, { config: configFor(c, server.url), env: c.env }));
      expect(error.kind).toBe("tracker");
      expect(error.message).toMatch(/^issue .+ not found at http:\/\/127\.0\.0\.1:\d+\/.+, or the token cannot see it$/);
      expect(error.message).toContain(c.path);
    });

    test("401 says the token was rejected and which variable to fix, without echoing it", async () => {
      await using server = await startFakeTracker();
      server.route("GET", c.path, { status: 401, json: { message: `Bad credentials: ${c.token}` } });
      const error = await failure(fetchIssue(c.ref, { config: configFor(c, server.url), env: c.env }));
      expect(error.message).toContain("token rejected");
      expect(error.hint).toContain(`set a valid ${c.tokenVar}`);
      expectNoToken(error, c.token);
    });

    test("429 with retry-after waits the advertised time, then succeeds", async () => {
      await using server = await startFakeTracker();
      server.route("GET", c.path, { status: 429, headers: { "retry-after": "2" }, json: { message: "slow down" } }, { json: c.ok });
      const clock = fakeSleep();
      const issue = await fetchIssue(c.ref, { config: configFor(c, server.url), env: c.env, sleep: clock.sleep });
      expect(issue.title).toBe("Add login");
      expect(server.requests).toHaveLength(2);
      expect(clock.waits).toEqual([2000]);
    });

    test("429 asking for longer than max_retry_wait_seconds fails at once, saying when to retry", async () => {
      await using server = await startFakeTracker();
      server.route("GET", c.path, { status: 429, headers: { "retry-after": "120" } }, { json: c.ok });
      const clock = fakeSleep();
      const error = await failure(fetchIssue(c.ref, { config: configFor(c, server.url, 30), env: c.env, sleep: clock.sleep }));
      expect(error.message).toMatch(
        new RegExp(`^rate limited by ${c.displayName}; retry after 120 s \\(at \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\)$`),
      );
      expect(error.hint).toContain("max_retry_wait_seconds");
      expect(server.requests).toHaveLength(1);
      expect(clock.waits).toEqual([]);
    });

    test("429 on every attempt gives up after the configured retries", async () => {
      await using server = await startFakeTracker();
      server.route("GET", c.path, { status: 429, headers: { "retry-after": "1" } });
      const clock = fakeSleep();
      const error = await failure(fetchIssue(c.ref, { config: configFor(c, server.url), env: c.env, sleep: clock.sleep }));
      expect(error.message).toStartWith(`rate limited by ${c.displayName}; retry after 1 s`);
      expect(server.requests).toHaveLength(4);
      expect(clock.waits).toEqual([1000, 1000, 1000]);
    });

    test("connection refused names the URL and the variable that sets it", async () => {
      const base = await refusedUrl();
      const error = await failure(fetchIssue(c.ref, { config: configFor(c, base), env: c.env }));
      expect(error.kind).toBe("tracker");
      expect(error.message).toBe(`could not reach ${base}: connection refused`);
      expect(error.hint).toBe(`check ${c.baseVar} or your network`);
    });

    test("no token fails before any request, naming the variable to set", async () => {
      await using server = await startFakeTracker();
      server.route("GET", c.path, { json: c.ok });
      const error = await failure(fetchIssue(c.ref, { config: configFor(c, server.url), env: {} }));
      expect(error.kind).toBe("tracker");
      expect(`${error.message} ${error.hint}`).toContain(c.tokenVar);
      expect(server.requests).toHaveLength(0);
    });
  });
}
