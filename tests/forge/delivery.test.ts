// Delivering to GitHub against the stateful fake: repository facts before any spend, one PR per
// branch, checks as --ship reads them, the sha-pinned merge, and how failures read.
import { describe, expect, test } from "bun:test";
import { isLokiError } from "../../src/core/errors.ts";
import { checksFor, inspectRepo, mergePullRequest, upsertPullRequest } from "../../src/forge/delivery.ts";
import type { RepoRef } from "../../src/forge/pr-types.ts";
import type { FetchContext } from "../../src/forge/types.ts";
import { startFakeForge, type FakeForge } from "../helpers/fake-forge.ts";
import { fakeSleep, refusedUrl, trackerConfig } from "../helpers/fake-tracker.ts";

const REPO: RepoRef = { forge: "github", owner: "acme", repo: "rocket" };
const PR = { repo: REPO, head: "loki/7-fix", base: "main", title: "Fix the fuel gauge", body: "Closes #7" };

const ctxFor = (forge: FakeForge, settings?: Record<string, unknown>): FetchContext => ({
  config: forge.config(settings),
  env: { GITHUB_TOKEN: forge.tokens.github },
  sleep: fakeSleep().sleep,
});
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error("expected a failure");
    },
    (error: unknown) => error,
  );

describe("github repository facts", () => {
  test("an ordinary writable repository: default branch, nothing missing, nothing blocking", async () => {
    await using forge = await startFakeForge();
    forge.github.addRepo("acme/rocket", { default_branch: "trunk" });
    const facts = await inspectRepo(REPO, ctxFor(forge));
    expect(facts).toEqual({ defaultBranch: "trunk", archived: false, canOpenPr: true, missing: [], mergeBlockedBy: null, warnings: [] });
    expect(forge.requests[0]?.headers.authorization).toBe(`token ${forge.tokens.github}`);
  });

  test("archived, and a classic token without the repo scope", async () => {
    await using forge = await startFakeForge();
    forge.github.addRepo("acme/rocket", { archived: true, scopes: "read:org" });
    const facts = await inspectRepo(REPO, ctxFor(forge));
    expect(facts).toMatchObject({ archived: true, canOpenPr: false, missing: ["the `repo` scope"] });
    expect(facts.warnings.join("\n")).toContain("workflow");
  });

  test("public_repo is enough for a public repository; a read-only user is missing write access", async () => {
    await using forge = await startFakeForge();
    forge.github.addRepo("acme/rocket", {
      private: false,
      scopes: "public_repo, workflow",
      permissions: { admin: false, push: false, pull: true },
    });
    const facts = await inspectRepo(REPO, ctxFor(forge));
    expect(facts.missing).toEqual(["write access to acme/rocket (the token's user may only read it)"]);
  });

  test("no scopes header (fine-grained or app token) and no permissions: unknown, so not reported missing", async () => {
    await using forge = await startFakeForge();
    forge.github.addRepo("acme/rocket", { scopes: null, permissions: null });
    expect(await inspectRepo(REPO, ctxFor(forge))).toMatchObject({ canOpenPr: true, missing: [], warnings: [] });
  });

  test("protection requiring a review blocks the merge; an admin without enforce_admins only gets a warning", async () => {
    await using forge = await startFakeForge();
    const repo = forge.github.addRepo("acme/rocket", {
      protection: { required_pull_request_reviews: { required_approving_review_count: 1 }, enforce_admins: { enabled: false } },
    });
    expect((await inspectRepo(REPO, ctxFor(forge))).mergeBlockedBy).toBe("branch protection requires 1 approving review");
    repo.permissions = { admin: true, push: true, pull: true };
    const admin = await inspectRepo(REPO, ctxFor(forge));
    expect(admin.mergeBlockedBy).toBeNull();
    expect(admin.warnings[0]).toContain("may bypass");
  });

  test("protection the token may not read (403) is unknown: a warning, not a block", async () => {
    await using forge = await startFakeForge();
    forge.github.addRepo("acme/rocket", { protection: "forbidden" });
    const facts = await inspectRepo(REPO, ctxFor(forge));
    expect(facts.mergeBlockedBy).toBeNull();
    expect(facts.warnings[0]).toMatch(/^branch protection of main is unknown: the token cannot read it \(403/);
  });

  test("rulesets, linear history and the repository's allowed merge methods", async () => {
    await using forge = await startFakeForge();
    forge.github.addRepo("acme/rocket", {
      rules: [{ type: "pull_request", parameters: { required_approving_review_count: 2 } }, { type: "required_linear_history" }],
      allow_merge_commit: false,
    });
    const facts = await inspectRepo(REPO, ctxFor(forge, { ship: { merge_method: "merge" } }));
    expect(facts.mergeBlockedBy?.split("; ")).toEqual([
      "the repository does not allow merge commits (set ship.merge_method to a method it allows)",
      "a ruleset requires 2 approving reviews",
      "a ruleset requires linear history, so merge commits are refused (set ship.merge_method to squash or rebase)",
    ]);
  });
});

describe("github pull requests", () => {
  test("creates once, then updates the open PR for the branch instead of duplicating it", async () => {
    await using forge = await startFakeForge();
    forge.github.addRepo("acme/rocket");
    forge.github.setBranch("acme/rocket", PR.head, "a".repeat(40));
    const first = await upsertPullRequest(PR, ctxFor(forge));
    expect(first).toEqual({ number: 1, url: "https://github.com/acme/rocket/pull/1", created: true, headSha: "a".repeat(40) });
    forge.github.setBranch("acme/rocket", PR.head, "b".repeat(40));
    const second = await upsertPullRequest({ ...PR, title: "Fix the fuel gauge (again)" }, ctxFor(forge));
    expect(second).toEqual({ ...first, created: false, headSha: "b".repeat(40) });
    expect(forge.github.pulls).toHaveLength(1);
    expect(forge.github.pulls[0]).toMatchObject({ title: "Fix the fuel gauge (again)", body: "Closes #7", base: "main" });
    const list = forge.requests.find((r) => r.method === "GET" && r.path.endsWith("/pulls"));
    expect(new URLSearchParams(list?.query).get("head")).toBe("acme:loki/7-fix");
  });

  test("a PR opened between our look and our create (422 already exists) is updated", async () => {
    await using forge = await startFakeForge();
    forge.github.addRepo("acme/rocket");
    await upsertPullRequest(PR, ctxFor(forge));
    forge.override("GET", "/repos/acme/rocket/pulls", { json: [] }, 1);
    const again = await upsertPullRequest({ ...PR, body: "new body" }, ctxFor(forge));
    expect(again.created).toBe(false);
    expect(forge.github.pulls.map((p) => p.body)).toEqual(["new body"]);
  });

  test("merges with the checked sha; a PR that moved is refused with GitHub's words", async () => {
    await using forge = await startFakeForge();
    forge.github.addRepo("acme/rocket");
    const pr = await upsertPullRequest(PR, ctxFor(forge));
    const stale = await mergePullRequest(REPO, pr.number, "squash", "c".repeat(40), ctxFor(forge));
    expect(stale).toEqual({
      merged: false,
      sha: null,
      message: "GitHub refused to merge #1 (409): Head branch was modified. Review and try the merge again.",
    });
    expect(forge.github.pulls[0]?.merged).toBe(false);
    const merged = await mergePullRequest(REPO, pr.number, "squash", pr.headSha ?? "", ctxFor(forge));
    expect(merged).toMatchObject({ merged: true, message: "Pull Request successfully merged" });
    expect(forge.github.pulls[0]).toMatchObject({ merged: true, merge_method: "squash" });
    expect(forge.requests.at(-1)?.body).toEqual({ merge_method: "squash", sha: pr.headSha });
  });

  test("protection refusing at merge time (405) keeps the PR and says why", async () => {
    await using forge = await startFakeForge();
    forge.github.addRepo("acme/rocket");
    const pr = await upsertPullRequest(PR, ctxFor(forge));
    forge.github.mergeRefusal = { status: 405, message: "At least 1 approving review is required by reviewers with write access." };
    const result = await mergePullRequest(REPO, pr.number, "merge", pr.headSha ?? "", ctxFor(forge));
    expect(result.merged).toBe(false);
    expect(result.message).toContain("(405): At least 1 approving review");
    expect(forge.github.pulls[0]?.state).toBe("open");
  });
});

describe("github checks", () => {
  const sha = "d".repeat(40);
  const stateOf = async (forge: FakeForge) => checksFor(REPO, sha, ctxFor(forge));

  test("check runs and statuses add up; the combined status of a commit without statuses is not trusted", async () => {
    await using forge = await startFakeForge();
    forge.github.addRepo("acme/rocket");
    expect(await stateOf(forge)).toEqual({ state: "success", total: 0, failing: [], pending: [] });
    forge.github.setChecks(sha, [
      { name: "build", conclusion: "success" },
      { name: "docs", conclusion: "skipped" },
      { name: "lint", conclusion: "neutral" },
    ]);
    expect(await stateOf(forge)).toEqual({ state: "success", total: 3, failing: [], pending: [] });
    forge.github.setStatuses(sha, [{ context: "ci/legacy", state: "pending" }]);
    expect(await stateOf(forge)).toMatchObject({ state: "pending", pending: ["ci/legacy"] });
    forge.github.setChecks(sha, [
      { name: "build", status: "in_progress" },
      { name: "test", conclusion: "timed_out" },
    ]);
    expect(await stateOf(forge)).toEqual({ state: "failure", total: 3, failing: ["test (timed_out)"], pending: ["build", "ci/legacy"] });
  });

  test("a status in error fails even when every check run passed", async () => {
    await using forge = await startFakeForge();
    forge.github.addRepo("acme/rocket");
    forge.github.setChecks("*", [{ name: "build" }]);
    forge.github.setStatuses("*", [{ context: "deploy/preview", state: "error" }]);
    expect(await stateOf(forge)).toMatchObject({ state: "failure", failing: ["deploy/preview (error)"] });
  });
});

describe("github failures", () => {
  test("a rejected token (401) names the variable, never the token", async () => {
    await using forge = await startFakeForge({ github: "the-right-one" });
    forge.github.addRepo("acme/rocket");
    const ctx = { ...ctxFor(forge), env: { GITHUB_TOKEN: "ghp_wrong_token" } };
    const error = await failure(inspectRepo(REPO, ctx));
    expect(isLokiError(error) && [error.kind, error.hint]).toEqual(["tracker", "set a valid GITHUB_TOKEN"]);
    expect(String(isLokiError(error) && error.message)).not.toContain("ghp_wrong_token");
  });

  test("an unknown repository (404) says so and names the scope fix", async () => {
    await using forge = await startFakeForge();
    const error = await failure(inspectRepo(REPO, ctxFor(forge)));
    expect(isLokiError(error) && error.message).toMatch(/^acme\/rocket not found on GitHub \(reading the repository/);
    expect(isLokiError(error) && error.hint).toContain("`repo` scope");
  });

  test("a forbidden write (403) and a validation failure (422) carry GitHub's words", async () => {
    await using forge = await startFakeForge();
    forge.github.addRepo("acme/rocket");
    forge.override("GET", "/repos/acme/rocket/pulls", {
      status: 403,
      json: { message: "Resource not accessible by personal access token" },
    });
    const denied = await failure(upsertPullRequest(PR, ctxFor(forge)));
    expect(isLokiError(denied) && denied.message).toContain("denied access to acme/rocket (403): Resource not accessible");
    await using other = await startFakeForge();
    other.github.addRepo("acme/rocket");
    other.override("POST", "/repos/acme/rocket/pulls", {
      status: 422,
      json: { message: "Validation Failed", errors: [{ message: "No commits between main and loki/7-fix" }] },
    });
    const invalid = await failure(upsertPullRequest(PR, ctxFor(other)));
    expect(isLokiError(invalid) && invalid.message).toBe(
      "GitHub refused opening the pull request on acme/rocket (422): Validation Failed: No commits between main and loki/7-fix",
    );
  });

  test("no token at all, and a host that refuses connections", async () => {
    const none = await failure(inspectRepo(REPO, { config: trackerConfig({}), env: {} }));
    expect(isLokiError(none) && none.message).toBe("no GitHub token to work on acme/rocket");
    const refused = await failure(
      inspectRepo(REPO, { config: trackerConfig({ github: { api_url: await refusedUrl() } }), env: { GITHUB_TOKEN: "x" } }),
    );
    expect(isLokiError(refused) && refused.message).toMatch(/could not reach http:\/\/127\.0\.0\.1:\d+: connection refused/);
  });
});
