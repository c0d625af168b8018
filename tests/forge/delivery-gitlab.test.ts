// Delivering to GitLab against the stateful fake: project facts (role, token scopes, protected
// branch), one merge request per source branch, pipelines as checks, and the sha-pinned merge.
import { describe, expect, test } from "bun:test";
import { isLokiError } from "../../src/core/errors.ts";
import { checksFor, inspectRepo, mergePullRequest, upsertPullRequest, waitForChecks } from "../../src/forge/delivery.ts";
import { checksFromPipeline, mergeRule } from "../../src/forge/gitlab-mr.ts";
import type { RepoRef } from "../../src/forge/pr-types.ts";
import type { FetchContext } from "../../src/forge/types.ts";
import { startFakeForge, type FakeForge } from "../helpers/fake-forge.ts";
import { fakeSleep } from "../helpers/fake-tracker.ts";

const REPO: RepoRef = { forge: "gitlab", project: "platform/web app" };
const MR = { repo: REPO, head: "loki/3-dark-mode", base: "main", title: "Dark mode", body: "Closes #3" };
const SHA = "f".repeat(40);

const ctxFor = (forge: FakeForge, settings?: Record<string, unknown>): FetchContext => ({
  config: forge.config(settings),
  env: { GITLAB_TOKEN: forge.tokens.gitlab },
  sleep: fakeSleep().sleep,
});

describe("gitlab project facts", () => {
  test("a Developer with an api-scoped token on an unprotected branch", async () => {
    await using forge = await startFakeForge();
    forge.gitlab.addProject("platform/web app", { default_branch: "develop" });
    expect(await inspectRepo(REPO, ctxFor(forge))).toEqual({
      defaultBranch: "develop",
      archived: false,
      canOpenPr: true,
      missing: [],
      mergeBlockedBy: null,
      warnings: [],
    });
    expect(forge.requests[0]).toMatchObject({
      path: "/api/v4/projects/platform%2Fweb%20app",
      headers: { "private-token": forge.tokens.gitlab },
    });
  });

  test("archived, a read_api token and a Reporter role", async () => {
    await using forge = await startFakeForge();
    forge.gitlab.addProject("platform/web app", { archived: true, access_level: 20 });
    forge.gitlab.tokenScopes = ["read_api"];
    const facts = await inspectRepo(REPO, ctxFor(forge));
    expect(facts).toMatchObject({
      archived: true,
      canOpenPr: false,
      missing: ["the `api` scope", "the Developer role on platform/web app (the token's user is Reporter)"],
    });
  });

  test("a branch only Maintainers may merge blocks a Developer, not a Maintainer; unreadable protection is a warning", async () => {
    await using forge = await startFakeForge();
    const project = forge.gitlab.addProject("platform/web app", { protected: { merge_access_levels: [{ access_level: 40 }] } });
    expect((await inspectRepo(REPO, ctxFor(forge))).mergeBlockedBy).toBe(
      "protected branch main allows only Maintainers and above to merge, and the token's user is Developer",
    );
    project.access_level = 40;
    expect((await inspectRepo(REPO, ctxFor(forge))).mergeBlockedBy).toBeNull();
    project.protected = "forbidden";
    const facts = await inspectRepo(REPO, ctxFor(forge));
    expect(facts.mergeBlockedBy).toBeNull();
    expect(facts.warnings[0]).toStartWith("the protection of main is unknown: the token cannot read it (403)");
  });

  test("a project that never squashes blocks ship.merge_method squash", async () => {
    await using forge = await startFakeForge();
    forge.gitlab.addProject("platform/web app", { squash_option: "never" });
    expect((await inspectRepo(REPO, ctxFor(forge, { ship: { merge_method: "squash" } }))).mergeBlockedBy).toContain("never squashes");
    expect((await inspectRepo(REPO, ctxFor(forge, { ship: { merge_method: "merge" } }))).mergeBlockedBy).toBeNull();
  });

  test("merge access rules: no one, user grants, unknown role", () => {
    expect(mergeRule([{ access_level: 0 }], "main", 40)).toEqual({ block: "protected branch main allows no one to merge" });
    expect(mergeRule([{ access_level: 0 }, { access_level: 40, user_id: 5 }], "main", 30).warning).toContain("unknown");
    expect(mergeRule([{ access_level: 30 }], "main", undefined).warning).toContain("unknown");
    expect(mergeRule([], "main", 30)).toEqual({});
  });

  test("only a CI job token: the error says it cannot open merge requests", async () => {
    await using forge = await startFakeForge();
    const error = await inspectRepo(REPO, { config: forge.config(), env: { CI_JOB_TOKEN: "job" } }).catch((e: unknown) => e);
    expect(isLokiError(error) && error.hint).toBe(
      "CI_JOB_TOKEN cannot open merge requests or comment: set GITLAB_TOKEN to a personal or project access token with the api scope",
    );
  });
});

describe("gitlab merge requests", () => {
  test("creates once, then updates the open MR for the source branch", async () => {
    await using forge = await startFakeForge();
    forge.gitlab.addProject("platform/web app");
    forge.gitlab.setBranch("platform/web app", MR.head, SHA);
    const first = await upsertPullRequest(MR, ctxFor(forge));
    expect(first).toEqual({ number: 1, url: "https://gitlab.example/platform/web app/-/merge_requests/1", created: true, headSha: SHA });
    const second = await upsertPullRequest({ ...MR, body: "Closes #3, now with proof" }, ctxFor(forge));
    expect(second).toMatchObject({ number: 1, created: false });
    expect(forge.gitlab.mergeRequests.map((mr) => [mr.description, mr.target_branch])).toEqual([["Closes #3, now with proof", "main"]]);
    expect(forge.requests.find((r) => r.method === "GET" && r.path.endsWith("/merge_requests"))?.query).toBe(
      "state=opened&source_branch=loki%2F3-dark-mode",
    );
  });

  test("a 409 'already exists' on create updates the MR that won the race", async () => {
    await using forge = await startFakeForge();
    forge.gitlab.addProject("platform/web app");
    await upsertPullRequest(MR, ctxFor(forge));
    forge.override("GET", /\/merge_requests\?state=opened/, { json: [] }, 1);
    expect((await upsertPullRequest({ ...MR, title: "Dark mode v2" }, ctxFor(forge))).created).toBe(false);
    expect(forge.gitlab.mergeRequests.map((mr) => mr.title)).toEqual(["Dark mode v2"]);
  });

  test("merges with the pipeline's sha and squash when asked; refusals come back as merged: false", async () => {
    await using forge = await startFakeForge();
    forge.gitlab.addProject("platform/web app");
    const mr = await upsertPullRequest(MR, ctxFor(forge));
    const stale = await mergePullRequest(REPO, mr.number, "squash", SHA, ctxFor(forge));
    expect(stale.message).toStartWith(
      "GitLab refused to merge !1 (409: the merge request's head moved since its pipeline ran): SHA does not match",
    );
    forge.gitlab.mergeRefusal = { status: 405, message: "405 Method Not Allowed" };
    expect((await mergePullRequest(REPO, mr.number, "squash", mr.headSha ?? "", ctxFor(forge))).message).toContain(
      "405: not mergeable yet",
    );
    forge.gitlab.mergeRefusal = null;
    const merged = await mergePullRequest(REPO, mr.number, "squash", mr.headSha ?? "", ctxFor(forge));
    expect(merged).toMatchObject({ merged: true, message: "merged !1" });
    expect(forge.gitlab.mergeRequests[0]).toMatchObject({ state: "merged", squash: true });
    expect(forge.requests.at(-1)?.body).toEqual({ sha: mr.headSha, squash: true });
  });
});

describe("gitlab pipelines as checks", () => {
  test("no pipeline, running, failed jobs (allowed failures ignored), success", async () => {
    await using forge = await startFakeForge();
    forge.gitlab.addProject("platform/web app");
    const ctx = ctxFor(forge);
    expect(await checksFor(REPO, SHA, ctx)).toEqual({ state: "success", total: 0, failing: [], pending: [] });
    forge.gitlab.setPipelines(SHA, {
      status: "running",
      jobs: [
        { name: "build", status: "success" },
        { name: "test", status: "running" },
      ],
    });
    expect(await checksFor(REPO, SHA, ctx)).toEqual({ state: "pending", total: 2, failing: [], pending: ["test"] });
    forge.gitlab.setPipelines(SHA, {
      status: "failed",
      jobs: [
        { name: "lint", status: "failed", allow_failure: true },
        { name: "test", status: "failed" },
      ],
    });
    expect(await checksFor(REPO, SHA, ctx)).toEqual({ state: "failure", total: 2, failing: ["test (failed)"], pending: [] });
    forge.gitlab.setPipelines(SHA, {
      status: "success",
      jobs: [
        { name: "build", status: "success" },
        { name: "deploy", status: "manual" },
      ],
    });
    expect((await checksFor(REPO, SHA, ctx)).state).toBe("success");
  });

  test("the pipeline's own status decides when the jobs do not (bridges, blocking manual jobs)", () => {
    expect(checksFromPipeline(9, "failed", [])).toEqual({ state: "failure", total: 1, failing: ["pipeline #9 (failed)"], pending: [] });
    expect(checksFromPipeline(9, "manual", [{ name: "approve", status: "manual" }])).toMatchObject({
      state: "pending",
      pending: ["pipeline #9 (manual)"],
    });
    expect(checksFromPipeline(9, "canceled", [{ name: "build", status: "canceled" }]).failing).toEqual(["build (canceled)"]);
  });

  test("waitForChecks polls a pipeline from pending to failed", async () => {
    await using forge = await startFakeForge();
    forge.gitlab.addProject("platform/web app");
    forge.gitlab.setPipelines(
      "*",
      { status: "pending", jobs: [{ name: "test", status: "pending" }] },
      { status: "failed", jobs: [{ name: "test", status: "failed" }] },
    );
    let t = 0;
    const result = await waitForChecks(
      REPO,
      SHA,
      { timeoutMs: 60_000, pollMs: 5_000, now: () => t, sleep: async (ms) => void (t += ms) },
      ctxFor(forge),
    );
    expect([result.state, t]).toEqual(["failure", 5_000]);
  });
});
