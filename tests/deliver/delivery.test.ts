// Issue to merged PR against fakes: a fake GitHub/GitLab/Jira/ADO on 127.0.0.1, a local bare repo
// as origin, and the scripted fake agent. Merges only verified work with green checks; everything
// knowable is refused before any agent spend; the user's checkout is never touched.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { fakeBinDir } from "../helpers/cli.ts";
import { startFakeForge, type FakeForge } from "../helpers/fake-forge.ts";
import { NO_COUNCIL, PRD_MATH4, scenarioRepo, type Scenario } from "../helpers/scenario.ts";
import { git } from "../helpers/tmp.ts";

const ISSUE_BODY = PRD_MATH4.split("\n").slice(2).join("\n");
const SHIP = "ship:\n  poll_seconds: 0.05\n  checks_timeout_seconds: 1.5\n";

type Setup = {
  s: Scenario;
  forge: FakeForge;
  origin: string;
  run: (args: string[], env?: Record<string, string>) => ReturnType<Scenario["loki"]>;
  [Symbol.asyncDispose]: () => Promise<void>;
};

/** `council`: the first --ship test carries the council's verdict into the PR; the rest are about the forge. */
async function setup(scenario = "full", extraEnv: Record<string, string> = {}, council = false): Promise<Setup> {
  const forge = await startFakeForge();
  forge.github.addRepo("acme/shop");
  forge.github.addIssue("acme/shop", 7, { title: "Math helpers", body: ISSUE_BODY });
  forge.github.setChecks("*", [{ name: "ci" }]);
  const s = await scenarioRepo(scenario, council ? SHIP : SHIP + NO_COUNCIL, { ...forge.env, ...extraEnv }, PRD_MATH4);
  const origin = `${s.path}-origin.git`;
  git(s.path, ["clone", "--quiet", "--bare", s.path, origin]);
  git(s.path, ["remote", "add", "origin", origin]);
  git(s.path, ["fetch", "--quiet", "origin"]);
  return {
    s,
    forge,
    origin,
    run: (args, env = {}) => s.loki(args, env),
    [Symbol.asyncDispose]: async () => {
      await s[Symbol.asyncDispose]();
      await forge[Symbol.asyncDispose]();
      Bun.spawnSync(["rm", "-rf", origin]);
    },
  };
}

const worktree = (s: Scenario, branch: string) => join(s.path, ".loki", "worktrees", branch.replace(/[^A-Za-z0-9._-]+/g, "-"));
const agentCalls = (s: Scenario) => (existsSync(join(s.state, "calls")) ? Number(readFileSync(join(s.state, "calls"), "utf8")) : 0);

describe("issue to pull request", () => {
  test("--ship: verified, pushed, PR with the evidence, green checks, merged, commented back", async () => {
    await using t = await setup("full", {}, true);
    const result = await t.run(["start", "acme/shop#7", "--ship"]);
    expect(result.code).toBe(0);
    const [pr, ...more] = t.forge.github.pulls;
    expect(more).toHaveLength(0);
    expect(pr).toMatchObject({ head: "loki/issue-7", base: "main", title: "Math helpers", merged: true, merge_method: "squash" });
    expect(pr?.body).toContain("Closes #7");
    expect(pr?.body).toContain("### Gates");
    expect(pr?.body).toContain("### Council");
    expect(pr?.body).toMatch(/sha256 `[0-9a-f]{64}`/);
    expect(git(t.s.path, ["ls-remote", t.origin, "refs/heads/loki/issue-7"])).toContain("loki/issue-7");
    const comment = t.forge.github.comments.at(-1);
    expect(comment?.body).toContain("loki verified this work");
    expect(comment?.body).toContain("merged");
    expect(existsSync(join(t.s.path, "math.js"))).toBe(false);
    expect(git(t.s.path, ["status", "--porcelain"]), "the user's checkout is untouched").toBe("");
    const completion = JSON.parse(readFileSync(join(worktree(t.s, "loki/issue-7"), ".loki", "state", "completion.json"), "utf8"));
    expect(completion.pr_url).toBe(`https://github.com/acme/shop/pull/${pr?.number}`);
  });

  test("red checks: the PR stays open, nothing is merged, exit 2 says which check", async () => {
    await using t = await setup();
    t.forge.github.setChecks("*", [{ name: "ci", conclusion: "failure" }]);
    const result = await t.run(["start", "acme/shop#7", "--ship"]);
    expect(result.code).toBe(2);
    expect(t.forge.github.pulls[0]).toMatchObject({ merged: false, state: "open" });
    expect(t.forge.github.comments.at(-1)?.body).toContain("checks failed (ci");
  });

  test("checks pending forever: timeout, no merge, exit 1", async () => {
    await using t = await setup();
    t.forge.github.setChecks("*", [{ name: "ci", status: "in_progress" }]);
    const result = await t.run(["start", "acme/shop#7", "--ship"]);
    expect(result.code).toBe(1);
    expect(t.forge.github.pulls[0]?.merged).toBe(false);
    expect(result.stdout + result.stderr).toContain("still pending");
  });

  test("an unverified run gets no pull request and is never merged", async () => {
    await using t = await setup("lazy");
    const result = await t.run(["start", "acme/shop#7", "--ship", "--max-iterations", "1"]);
    expect(result.code).toBe(1);
    expect(t.forge.github.pulls).toHaveLength(0);
    expect(git(t.s.path, ["ls-remote", t.origin])).not.toContain("loki/issue-7");
    expect(t.forge.github.comments.at(-1)?.body).toContain("loki stopped: max_iterations");
  });

  test("an existing PR for the branch is updated, not duplicated", async () => {
    await using t = await setup();
    t.forge.github.pulls.push({
      repo: "acme/shop",
      number: 1,
      title: "old",
      body: "old",
      head: "loki/issue-7",
      base: "main",
      head_sha: "0".repeat(40),
      state: "open",
      merged: false,
      merge_method: null,
      merge_commit_sha: null,
    });
    const result = await t.run(["start", "acme/shop#7", "--pr"]);
    expect(result.code).toBe(0);
    expect(t.forge.github.pulls).toHaveLength(1);
    expect(t.forge.github.pulls[0]).toMatchObject({ title: "Math helpers", merged: false });
    expect(t.forge.github.pulls[0]?.body).toContain("Closes #7");
  });

  test("--pr --bg: detached; the completion summary and the notification carry the PR's URL", async () => {
    await using t = await setup();
    const bin = fakeBinDir(t.s.state, { "notify-send": `#!/bin/sh\necho "$@" >> ${join(t.s.state, "notified")}\n` });
    const started = await t.run(["start", "acme/shop#7", "--pr", "--bg"], { PATH: `${bin}:${t.s.env.PATH}` });
    expect(started.code).toBe(0);
    const deadline = Date.now() + 30_000;
    // The shell creates the file before it writes the line: wait for the line, not the file.
    const notified = () => (existsSync(join(t.s.state, "notified")) ? readFileSync(join(t.s.state, "notified"), "utf8") : "");
    while (!notified().includes("\n") && Date.now() < deadline) await Bun.sleep(100);
    const url = `https://github.com/acme/shop/pull/${t.forge.github.pulls[0]?.number}`;
    expect(readFileSync(join(t.s.state, "notified"), "utf8")).toContain(url);
    expect(readFileSync(join(worktree(t.s, "loki/issue-7"), ".loki", "COMPLETION.txt"), "utf8")).toContain(`pull request: ${url}`);
  });

  test("a rejected push: exit 3, no PR, the reason commented", async () => {
    await using t = await setup();
    const hook = join(t.origin, "hooks", "pre-receive");
    writeFileSync(hook, "#!/bin/sh\necho 'pushes are frozen' >&2\nexit 1\n");
    chmodSync(hook, 0o755);
    const result = await t.run(["start", "acme/shop#7", "--pr"]);
    expect(result.code).toBe(3);
    expect(t.forge.github.pulls).toHaveLength(0);
    expect(t.forge.github.comments.at(-1)?.body).toContain("push to origin was rejected");
  });
});

describe("delegation does its intake once", () => {
  const runIdsOf = (dir: string) => ({
    session: JSON.parse(readFileSync(join(dir, ".loki", "session.json"), "utf8")).run_id as string,
    delivery: JSON.parse(readFileSync(join(dir, ".loki", "state", "delivery.json"), "utf8")).run_id as string,
    completion: JSON.parse(readFileSync(join(dir, ".loki", "state", "completion.json"), "utf8")).run_id as string,
  });

  test("an issue-sourced --pr run fetches the issue exactly once, and has one run id throughout", async () => {
    await using t = await setup();
    const result = await t.run(["start", "acme/shop#7", "--pr"]);
    expect(result.code).toBe(0);
    const issueReads = t.forge.requests.filter((r) => r.method === "GET" && r.path === "/repos/acme/shop/issues/7");
    expect(issueReads).toHaveLength(1);
    const ids = runIdsOf(worktree(t.s, "loki/issue-7"));
    expect(ids.delivery).toBe(ids.session);
    expect(ids.completion).toBe(ids.session);
    expect(t.forge.github.comments.at(-1)?.body).toContain(`run \`${ids.session}\``);
  });

  test("--worktree on a PRD: the branch is named with the same run id the worktree's run carries", async () => {
    await using t = await setup();
    const result = await t.run(["start", "prd.md", "--worktree"]);
    expect(result.code).toBe(0);
    const branch = /on branch (loki\/run-(\S+))/.exec(result.stderr);
    expect(branch, result.stderr).not.toBeNull();
    const ids = runIdsOf(worktree(t.s, branch![1]!));
    expect(ids.session).toBe(branch![2]!);
    expect(ids.delivery).toBe(ids.session);
    expect(ids.completion).toBe(ids.session);
    expect(JSON.parse(readFileSync(join(worktree(t.s, branch![1]!), ".loki", "state", "run-spec.json"), "utf8")).source.ref).toBe("prd.md");
  });
});

describe("refused before any agent spend (exit 3)", () => {
  const cases: [string, (t: Setup) => void, string[], RegExp][] = [
    ["an archived repository", (t) => void (t.forge.github.repos.get("acme/shop")!.archived = true), ["--pr"], /archived/],
    [
      "a token without the repo scope",
      (t) => void (t.forge.github.repos.get("acme/shop")!.scopes = "read:org"),
      ["--pr"],
      /missing: the `repo` scope/,
    ],
    [
      "branch protection forbidding loki's merge",
      (t) =>
        void (t.forge.github.repos.get("acme/shop")!.protection = {
          required_pull_request_reviews: { required_approving_review_count: 1 },
        }),
      ["--ship"],
      /--ship cannot merge into main: .*review/,
    ],
    ["no origin remote", (t) => git(t.s.path, ["remote", "remove", "origin"]), ["--pr"], /needs an `origin` remote/],
  ];
  for (const [name, arrange, flags, message] of cases) {
    test(name, async () => {
      await using t = await setup();
      arrange(t);
      const result = await t.run(["start", "acme/shop#7", ...flags]);
      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(message);
      expect(agentCalls(t.s)).toBe(0);
      expect(existsSync(join(t.s.path, ".loki", "worktrees"))).toBe(false);
    });
  }

  test("an issue that does not exist", async () => {
    await using t = await setup();
    const result = await t.run(["start", "acme/shop#404", "--pr"]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("not found");
    expect(agentCalls(t.s)).toBe(0);
  });
});

describe("other trackers", () => {
  test("GitLab: a merge request for a verified run", async () => {
    await using t = await setup();
    t.forge.gitlab.addProject("team/web/shop");
    t.forge.gitlab.addIssue("team/web/shop", 3, { title: "Math helpers", description: ISSUE_BODY });
    const result = await t.run(["start", "team/web/shop#3", "--pr"]);
    expect(result.code).toBe(0);
    expect(t.forge.gitlab.mergeRequests[0]).toMatchObject({ source_branch: "loki/issue-3", target_branch: "main" });
    expect(t.forge.gitlab.notes.at(-1)?.body).toContain("loki verified this work");
  });

  test("Jira: issue to branch (--worktree), outcome commented on the Jira issue", async () => {
    await using t = await setup();
    t.forge.jira.addIssue("SHOP-12", {
      summary: "Math helpers",
      description:
        "h2. Acceptance criteria\n* add(a, b) returns the sum\n* sub(a, b) returns the difference\n* mul(a, b) returns the product\n* div(a, b) returns the quotient",
    });
    const result = await t.run(["start", "SHOP-12", "--worktree"]);
    expect(result.code).toBe(0);
    expect(git(t.s.path, ["branch", "--list", "loki/issue-SHOP-12"])).toContain("loki/issue-SHOP-12");
    expect(t.forge.jira.comments.at(-1)?.body).toContain("loki verified this work");
  });

  test("Azure DevOps: work item to branch, outcome commented on the work item", async () => {
    await using t = await setup();
    t.forge.azure.addWorkItem("acme", "Shop", 314, {
      title: "Math helpers",
      description:
        "<ul><li>add(a, b) returns the sum</li><li>sub(a, b) returns the difference</li><li>mul(a, b) returns the product</li><li>div(a, b) returns the quotient</li></ul>",
    });
    const result = await t.run(["start", `${t.forge.azure.orgUrl("acme")}/Shop/_workitems/edit/314`, "-w"]);
    expect(result.code).toBe(0);
    expect(git(t.s.path, ["branch", "--list", "loki/issue-314"])).toContain("loki/issue-314");
    expect(t.forge.azure.comments.at(-1)?.body).toContain("loki verified this work");
  });
});
