// GitHub specifics on top of the shared contract: token sources (env, then the gh CLI), GitHub's
// own rate-limit headers through Octokit, pull requests, null bodies, and Enterprise base URLs.
import { describe, expect, test } from "bun:test";
import { chmodSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isLokiError } from "../../src/core/errors.ts";
import { fetchGithubIssue, githubApiUrl, githubToken } from "../../src/forge/github.ts";
import { fakeSleep, startFakeTracker, trackerConfig } from "../helpers/fake-tracker.ts";
import { tmpdir } from "../helpers/tmp.ts";

const REF = { tracker: "github", owner: "acme", repo: "rocket", number: 7 } as const;
const PATH = "/repos/acme/rocket/issues/7";
const ISSUE = { title: "Ship it", body: null, labels: [], html_url: "https://github.com/acme/rocket/pull/7", pull_request: { url: "x" } };

const configAt = (base?: string) => trackerConfig({ github: { api_url: base } });

/** A stand-in `gh` on a private PATH: prints a token and records its arguments. */
async function withFakeGh(run: (env: Record<string, string>, argsFile: string) => Promise<void>) {
  await using dir = await tmpdir();
  const argsFile = join(dir.path, "args");
  const gh = dir.write("bin/gh", `#!/bin/sh\necho "$@" > "${argsFile}"\necho gho_from_cli\n`);
  chmodSync(gh, 0o755);
  await run({ PATH: `${join(dir.path, "bin")}:/usr/bin:/bin` }, argsFile);
}

describe("github", () => {
  test("accepts a pull request from the issues endpoint and turns a null body into an empty string", async () => {
    await using server = await startFakeTracker();
    server.route("GET", PATH, { json: ISSUE });
    const issue = await fetchGithubIssue(REF, { config: configAt(server.url), env: { GH_TOKEN: "gh_env_token" } });
    expect(issue).toMatchObject({ title: "Ship it", body: "", labels: [], url: ISSUE.html_url });
    expect(server.requests[0]?.headers.authorization).toBe("token gh_env_token");
  });

  test("GITHUB_TOKEN wins over GH_TOKEN", async () => {
    const token = await githubToken(REF, { config: configAt(), env: { GITHUB_TOKEN: "first", GH_TOKEN: "second" } });
    expect(token).toEqual({ value: "first", source: "GITHUB_TOKEN" });
  });

  test("falls back to `gh auth token`, asking for the Enterprise host when the issue has one", async () => {
    await withFakeGh(async (env, argsFile) => {
      expect(await githubToken(REF, { config: configAt(), env })).toEqual({ value: "gho_from_cli", source: "gh" });
      expect(readFileSync(argsFile, "utf8").trim()).toBe("auth token");
      await githubToken({ ...REF, host: "ghe.corp" }, { config: configAt(), env });
      expect(readFileSync(argsFile, "utf8").trim()).toBe("auth token --hostname ghe.corp");
    });
  });

  test("a rejected gh token says to log in again", async () => {
    await using server = await startFakeTracker();
    server.route("GET", PATH, { status: 401, json: { message: "Bad credentials" } });
    await withFakeGh(async (env) => {
      const error = await fetchGithubIssue(REF, { config: configAt(server.url), env }).catch((e: unknown) => e);
      expect(isLokiError(error) && error.hint).toBe("run `gh auth login` again, or set a valid GITHUB_TOKEN");
    });
  });

  test("no token and no gh on PATH: the hint names both fixes", async () => {
    const error = await fetchGithubIssue(REF, { config: configAt(), env: { PATH: "/nonexistent" } }).catch((e: unknown) => e);
    expect(isLokiError(error) && [error.message, error.hint]).toEqual([
      "no GitHub token to fetch acme/rocket#7",
      "set GITHUB_TOKEN, or run `gh auth login`",
    ]);
  });

  test("a 403 with an exhausted quota waits until x-ratelimit-reset, then retries", async () => {
    await using server = await startFakeTracker();
    const reset = String(Math.floor(Date.now() / 1000) + 5);
    server.route(
      "GET",
      PATH,
      { status: 403, json: { message: "API rate limit exceeded" }, headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset } },
      { json: ISSUE },
    );
    const clock = fakeSleep();
    const issue = await fetchGithubIssue(REF, { config: configAt(server.url), env: { GITHUB_TOKEN: "t0ken" }, sleep: clock.sleep });
    expect(issue.title).toBe("Ship it");
    expect(clock.waits).toHaveLength(1);
    expect(clock.waits[0]).toBeGreaterThan(3000);
    expect(clock.waits[0]).toBeLessThanOrEqual(5000);
  });

  test("a 403 without a rate limit asks for the right scope", async () => {
    await using server = await startFakeTracker();
    server.route("GET", PATH, { status: 403, json: { message: "Resource not accessible by personal access token" } });
    const error = await fetchGithubIssue(REF, { config: configAt(server.url), env: { GITHUB_TOKEN: "t0ken" } }).catch((e: unknown) => e);
    expect(isLokiError(error) && error.message).toBe(
      "GitHub denied access to acme/rocket#7 (403): Resource not accessible by personal access token",
    );
    expect(isLokiError(error) && error.hint).toContain("Issues read");
  });

  test("API base: configured, Enterprise Server, GHE.com, and an Actions URL that serves another host", () => {
    const ctx = (base?: string) => ({ config: configAt(base), env: {} });
    expect(githubApiUrl(REF, ctx())).toBe("https://api.github.com");
    expect(githubApiUrl({ ...REF, host: "ghe.corp" }, ctx())).toBe("https://ghe.corp/api/v3");
    expect(githubApiUrl({ ...REF, host: "octo.ghe.com" }, ctx())).toBe("https://api.octo.ghe.com");
    expect(githubApiUrl({ ...REF, host: "ghe.corp" }, ctx("https://ghe.corp/api/v3"))).toBe("https://ghe.corp/api/v3");
    expect(githubApiUrl({ ...REF, host: "ghe.corp" }, ctx("https://api.github.com"))).toBe("https://ghe.corp/api/v3");
  });
});
