// waitForChecks, as --ship uses it, on a fake clock: pending → success, a timeout that returns the
// last pending state, the grace period before "no CI", and riding out a flaky network.
import { describe, expect, test } from "bun:test";
import { isLokiError } from "../../src/core/errors.ts";
import { waitForChecks } from "../../src/forge/delivery.ts";
import type { ChecksState, RepoRef } from "../../src/forge/pr-types.ts";
import type { FetchContext } from "../../src/forge/types.ts";
import { startFakeForge, type FakeForge } from "../helpers/fake-forge.ts";
import { refusedUrl, trackerConfig } from "../helpers/fake-tracker.ts";

const REPO: RepoRef = { forge: "github", owner: "acme", repo: "rocket" };
const ctxFor = (forge: FakeForge): FetchContext => ({ config: forge.config(), env: { GITHUB_TOKEN: forge.tokens.github } });
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error("expected a failure");
    },
    (error: unknown) => error,
  );

describe("waitForChecks", () => {
  const sha = "e".repeat(40);
  /** A fake clock: sleeping advances now. */
  const clock = () => {
    let t = 0;
    return { now: () => t, sleep: async (ms: number) => void (t += ms) };
  };

  test("polls pending → success and reports progress each time", async () => {
    await using forge = await startFakeForge();
    forge.github.addRepo("acme/rocket");
    forge.github.setChecks(
      sha,
      [{ name: "test", status: "queued" }],
      [{ name: "test", status: "in_progress" }],
      [{ name: "test", conclusion: "success" }],
    );
    const seen: [string, number][] = [];
    const result = await waitForChecks(
      REPO,
      sha,
      { timeoutMs: 60_000, pollMs: 10_000, onProgress: (s, ms) => void seen.push([s.state, ms]), ...clock() },
      ctxFor(forge),
    );
    expect(result.state).toBe("success");
    expect(seen).toEqual([
      ["pending", 0],
      ["pending", 10_000],
      ["success", 20_000],
    ]);
  });

  test("pending forever: returns the last pending state at the timeout", async () => {
    await using forge = await startFakeForge();
    forge.github.addRepo("acme/rocket");
    forge.github.setChecks(sha, [{ name: "e2e", status: "in_progress" }]);
    const seen: number[] = [];
    const result = await waitForChecks(
      REPO,
      sha,
      { timeoutMs: 25_000, pollMs: 10_000, onProgress: (_s, ms) => void seen.push(ms), ...clock() },
      ctxFor(forge),
    );
    expect(result).toMatchObject({ state: "pending", pending: ["e2e"] });
    expect(seen).toEqual([0, 10_000, 20_000, 25_000]);
  });

  test("a red check stops the wait at once", async () => {
    await using forge = await startFakeForge();
    forge.github.addRepo("acme/rocket");
    forge.github.setChecks(sha, [{ name: "test", conclusion: "failure" }]);
    const result = await waitForChecks(REPO, sha, { timeoutMs: 60_000, pollMs: 10_000, ...clock() }, ctxFor(forge));
    expect(result).toMatchObject({ state: "failure", failing: ["test (failure)"] });
  });

  test("no checks yet: waits the grace period for CI to register before calling it 'no CI'", async () => {
    await using forge = await startFakeForge();
    forge.github.addRepo("acme/rocket");
    forge.github.setChecks(sha, [], [], [{ name: "build", status: "queued" }], [{ name: "build" }]);
    const seen: ChecksState["state"][] = [];
    const found = await waitForChecks(
      REPO,
      sha,
      { timeoutMs: 60_000, pollMs: 10_000, onProgress: (s) => void seen.push(s.state), ...clock() },
      ctxFor(forge),
    );
    expect(found).toMatchObject({ state: "success", total: 1 });
    expect(seen).toEqual(["pending", "pending", "pending", "success"]);
    forge.github.setChecks(sha, []);
    const none = await waitForChecks(REPO, sha, { timeoutMs: 60_000, pollMs: 10_000, graceMs: 15_000, ...clock() }, ctxFor(forge));
    expect(none).toEqual({ state: "success", total: 0, failing: [], pending: [] });
  });
});

describe("waitForChecks on a flaky network", () => {
  test("rides out dropped connections, then gives up after three in a row", async () => {
    const ctx = { config: trackerConfig({ github: { api_url: await refusedUrl() } }), env: { GITHUB_TOKEN: "x" } };
    const waits: number[] = [];
    let t = 0;
    const error = await failure(
      waitForChecks(
        REPO,
        "a".repeat(40),
        { timeoutMs: 60_000, pollMs: 5_000, now: () => t, sleep: async (ms) => void waits.push((t += ms)) },
        ctx,
      ),
    );
    expect(isLokiError(error) && error.message).toContain("connection refused");
    expect(waits).toEqual([5_000, 10_000]);
  });

  test("a refusal (401) is an answer, not a blip: it stops the wait at once", async () => {
    await using forge = await startFakeForge({ github: "right" });
    forge.github.addRepo("acme/rocket");
    let slept = 0;
    const error = await failure(
      waitForChecks(
        REPO,
        "a".repeat(40),
        { timeoutMs: 60_000, pollMs: 5_000, sleep: async () => void (slept += 1) },
        { ...ctxFor(forge), env: { GITHUB_TOKEN: "wrong" } },
      ),
    );
    expect([isLokiError(error) && error.message.startsWith("GitHub token rejected (401)"), slept]).toEqual([true, 0]);
  });
});
