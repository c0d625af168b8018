// Issues as specs, end to end: `loki plan <issue>` against fake trackers on 127.0.0.1 for every
// tracker and reference form, and the tracker failures a user hits (404, 401, 429, refused, no token).
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Checklist, Spec } from "../../src/core/schema.ts";
import { loki } from "../helpers/cli.ts";
import { refusedUrl, startFakeTracker } from "../helpers/fake-tracker.ts";
import { git, tmpdir } from "../helpers/tmp.ts";

const BODY =
  "Customers want to pay faster.\n\n## Acceptance criteria\n- [ ] Checkout accepts saved cards\n- [ ] A failed payment shows the reason\n- [ ] Receipts are emailed within a minute\n- [ ] Refunds appear in the order history\n";
const ITEMS = [
  "Checkout accepts saved cards",
  "A failed payment shows the reason",
  "Receipts are emailed within a minute",
  "Refunds appear in the order history",
];

function intake(dir: string) {
  const spec = Spec.parse(JSON.parse(readFileSync(join(dir, ".loki/spec/spec.json"), "utf8")));
  const checklist = Checklist.parse(JSON.parse(readFileSync(join(dir, ".loki/checklist/checklist.json"), "utf8")));
  return { spec, checklist };
}

describe("issues become checklists", () => {
  test("GitHub owner/repo#N, with the token sent and the API URL from GITHUB_API_URL", async () => {
    await using server = await startFakeTracker();
    server.route("GET", "/repos/acme/shop/issues/7", {
      json: { title: "Faster checkout", body: BODY, labels: [{ name: "payments" }], html_url: "https://github.com/acme/shop/issues/7" },
    });
    await using dir = await tmpdir({ git: true });
    const result = await loki(["plan", "acme/shop#7", "--json"], {
      cwd: dir.path,
      env: { GITHUB_API_URL: server.url, GITHUB_TOKEN: "ghp_testtoken" },
    });
    expect(result.code).toBe(0);
    const { spec, checklist } = intake(dir.path);
    expect(spec.title).toBe("Faster checkout");
    expect(spec.source).toMatchObject({
      kind: "issue",
      tracker: "github",
      ref: "acme/shop#7",
      url: "https://github.com/acme/shop/issues/7",
    });
    expect(spec.items.map((i) => i.text)).toEqual(ITEMS);
    expect(checklist.items.length + checklist.held_out_count).toBe(4);
    expect(server.requests[0]?.headers.authorization).toBe("token ghp_testtoken");
  });

  test("#N resolves against origin's GitHub repository", async () => {
    await using server = await startFakeTracker();
    server.route("GET", "/repos/acme/shop/issues/9", {
      json: { title: "Nine", body: BODY, labels: [], html_url: "https://github.com/acme/shop/issues/9" },
    });
    await using dir = await tmpdir({ git: true });
    git(dir.path, ["remote", "add", "origin", "git@github.com:acme/shop.git"]);
    const result = await loki(["plan", "#9", "--json"], { cwd: dir.path, env: { GITHUB_API_URL: server.url, GITHUB_TOKEN: "t" } });
    expect(result.code).toBe(0);
    expect(intake(dir.path).spec.items).toHaveLength(4);
  });

  test("GitLab issue URL (self-hosted form) with a nested group", async () => {
    await using server = await startFakeTracker();
    server.route("GET", "/api/v4/projects/team%2Fweb%2Fshop/issues/3", {
      json: { title: "GL issue", description: BODY, labels: ["x"], web_url: `${server.url}/team/web/shop/-/issues/3` },
    });
    await using dir = await tmpdir({ git: true });
    // Logged in, so plan has no reason to warn that start would refuse: stderr holds only the intake line.
    const env = { GITLAB_TOKEN: "glpat-x", ANTHROPIC_API_KEY: "k" };
    const result = await loki(["plan", `${server.url}/team/web/shop/-/issues/3`], { cwd: dir.path, env });
    expect(result.stderr).toBe(`wrote .loki/spec/spec.json and .loki/checklist/checklist.json\n`);
    expect(result.code).toBe(0);
    expect(intake(dir.path).spec.source.tracker).toBe("gitlab");
    expect(server.requests[0]?.headers["private-token"]).toBe("glpat-x");
  });

  test("Jira key with wiki-markup acceptance criteria", async () => {
    await using server = await startFakeTracker();
    const description =
      "h2. Acceptance criteria\n* Exports include every column\n* Large exports stream\n* The file name has the date\n* Empty results give a header row";
    server.route("GET", "/rest/api/2/issue/SHOP-12", {
      json: { key: "SHOP-12", fields: { summary: "CSV export", description, labels: ["reports"] } },
    });
    await using dir = await tmpdir({ git: true });
    const result = await loki(["plan", "SHOP-12", "--json"], {
      cwd: dir.path,
      env: { JIRA_BASE_URL: server.url, JIRA_EMAIL: "me@acme.test", JIRA_API_TOKEN: "jira-token" },
    });
    expect(result.code).toBe(0);
    expect(intake(dir.path).spec.items.map((i) => i.text)).toEqual([
      "Exports include every column",
      "Large exports stream",
      "The file name has the date",
      "Empty results give a header row",
    ]);
    expect(server.requests[0]?.headers.authorization).toBe(`Basic ${btoa("me@acme.test:jira-token")}`);
  });

  test("Azure DevOps work item URL with HTML acceptance criteria", async () => {
    await using server = await startFakeTracker();
    const fields = {
      "System.Title": "Dark mode",
      "System.Description": "<p>Make it dark.</p>",
      "Microsoft.VSTS.Common.AcceptanceCriteria": "<ul><li>Toggle in settings</li><li>Choice is remembered</li></ul>",
      "System.Tags": "ui; theme",
    };
    server.route("GET", "/acme/Web%20Shop/_apis/wit/workitems/314", {
      json: { id: 314, fields, _links: { html: { href: `${server.url}/acme/Web%20Shop/_workitems/edit/314` } } },
    });
    await using dir = await tmpdir({ git: true });
    const result = await loki(["plan", `${server.url}/acme/Web%20Shop/_workitems/edit/314`, "--json"], {
      cwd: dir.path,
      env: { AZURE_DEVOPS_TOKEN: "pat" },
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(intake(dir.path).spec.items.map((i) => i.text)).toEqual(["Toggle in settings", "Choice is remembered"]);
  });

  test("an issue without a checklist: its title is the only item, with a warning", async () => {
    await using server = await startFakeTracker();
    server.route("GET", "/repos/acme/shop/issues/1", {
      json: { title: "Support Safari 17", body: "It breaks.", labels: [], html_url: "https://github.com/acme/shop/issues/1" },
    });
    await using dir = await tmpdir({ git: true });
    const result = await loki(["plan", "acme/shop#1"], { cwd: dir.path, env: { GITHUB_API_URL: server.url, GITHUB_TOKEN: "t" } });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("its title is the only item");
    expect(intake(dir.path).spec.items.map((i) => i.text)).toEqual(["Support Safari 17"]);
  });

  test("a 429 with retry-after is waited out, then the issue is read", async () => {
    await using server = await startFakeTracker();
    server.route(
      "GET",
      "/repos/acme/shop/issues/2",
      { status: 429, json: { message: "slow down" }, headers: { "retry-after": "1" } },
      { json: { title: "Two", body: BODY, labels: [], html_url: "https://github.com/acme/shop/issues/2" } },
    );
    await using dir = await tmpdir({ git: true });
    const result = await loki(["plan", "acme/shop#2", "--json"], { cwd: dir.path, env: { GITHUB_API_URL: server.url, GITHUB_TOKEN: "t" } });
    expect(result.code).toBe(0);
    expect(server.requests).toHaveLength(2);
  });
});

describe("tracker failures: exit 3, the fix named, nothing written", () => {
  const cases: [string, (url: string) => Promise<{ url: string; env: Record<string, string>; arg: string }>, RegExp, RegExp][] = [
    [
      "unknown issue (404)",
      async (url) => ({ url, arg: "acme/shop#404", env: { GITHUB_TOKEN: "t" } }),
      /not found/,
      /token cannot see it|check/,
    ],
    [
      "rejected token (401)",
      async (url) => ({ url, arg: "acme/shop#401", env: { GITHUB_TOKEN: "bad" } }),
      /token rejected|rejected/i,
      /GITHUB_TOKEN/,
    ],
    ["missing token", async (url) => ({ url, arg: "acme/shop#5", env: { PATH: "/usr/bin:/bin" } }), /no GitHub token/, /gh auth login/],
    [
      "connection refused",
      async () => ({ url: await refusedUrl(), arg: "acme/shop#5", env: { GITHUB_TOKEN: "t" } }),
      /could not reach/,
      /GITHUB_API_URL/,
    ],
    [
      "rate limited past the longest wait",
      async (url) => ({ url, arg: "acme/shop#429", env: { GITHUB_TOKEN: "t" } }),
      /rate limited|retry/i,
      /./,
    ],
  ];
  for (const [name, setup, message, hint] of cases) {
    test(name, async () => {
      await using server = await startFakeTracker();
      server.route("GET", "/repos/acme/shop/issues/404", { status: 404, json: { message: "Not Found" } });
      server.route("GET", "/repos/acme/shop/issues/401", { status: 401, json: { message: "Bad credentials" } });
      server.route("GET", "/repos/acme/shop/issues/429", { status: 429, json: { message: "slow" }, headers: { "retry-after": "3600" } });
      const { url, env, arg } = await setup(server.url);
      await using dir = await tmpdir({ git: true });
      const result = await loki(["plan", arg], { cwd: dir.path, env: { GITHUB_API_URL: url, ...env } });
      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.split("\n").find((l) => l.startsWith("hint:"))).toMatch(hint);
      expect(result.stderr).not.toContain("bad\n");
      expect(existsSync(join(dir.path, ".loki"))).toBe(false);
    });
  }
});
