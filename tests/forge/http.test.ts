// The shared tracker HTTP policy: how long to wait for which answer, timeouts, 5xx retries,
// sign-in pages served as 2xx, and base-URL choice. Talks only to a fake server on 127.0.0.1.
import { describe, expect, test } from "bun:test";
import { Config } from "../../src/core/config.ts";
import { isLokiError } from "../../src/core/errors.ts";
import { apiBaseUrl, detailOf, getJson, retryWaitMs, scrub, type TrackerSite } from "../../src/forge/http.ts";
import { fakeSleep, startFakeTracker } from "../helpers/fake-tracker.ts";

const NOW = Date.parse("2030-01-01T00:00:00Z");
const site = (baseUrl: string): TrackerSite => ({
  name: "Tracker",
  baseUrl,
  baseEnv: "TRACKER_URL",
  authFix: "set a valid TRACKER_TOKEN",
  scopeFix: "grant read access",
  key: "T-1",
  secrets: ["s3cr3t-token"],
});

async function rejection(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isLokiError(error)) throw new Error(`expected a LokiError, got ${String(error)}`);
  return error;
}

describe("retryWaitMs", () => {
  const headers = (init: Record<string, string>) => new Headers(init);

  test("retry-after in seconds and as an HTTP date", () => {
    expect(retryWaitMs(429, headers({ "retry-after": "7" }), 0, NOW)).toBe(7000);
    expect(retryWaitMs(503, headers({ "retry-after": new Date(NOW + 90_000).toUTCString() }), 0, NOW)).toBe(90_000);
  });

  test("GitHub's exhausted quota waits until x-ratelimit-reset, on 403 as on 429", () => {
    const reset = headers({ "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(NOW / 1000 + 42) });
    expect(retryWaitMs(403, reset, 0, NOW)).toBe(42_000);
    expect(retryWaitMs(429, reset, 0, NOW)).toBe(42_000);
  });

  test("transient 5xx back off exponentially when the server gives no hint", () => {
    expect([0, 1, 2].map((attempt) => retryWaitMs(502, headers({}), attempt, NOW))).toEqual([1000, 2000, 4000]);
    expect(retryWaitMs(502, headers({}), 9, NOW, 30_000)).toBe(30_000);
    expect(retryWaitMs(429, headers({ "retry-after": "60" }), 0, NOW, 30_000)).toBe(60_000);
  });

  test("permission errors and client errors are not retried", () => {
    expect(retryWaitMs(403, headers({ "x-ratelimit-remaining": "12" }), 0, NOW)).toBeUndefined();
    for (const status of [400, 401, 404, 501]) expect(retryWaitMs(status, headers({}), 0, NOW)).toBeUndefined();
  });
});

describe("getJson", () => {
  const config = Config.parse({});

  test("a server slower than the timeout is reported as unreachable", async () => {
    await using server = await startFakeTracker();
    server.route("GET", "/slow", async () => {
      await Bun.sleep(300);
      return { json: {} };
    });
    const error = await rejection(getJson(`${server.url}/slow`, {}, site(server.url), { config, env: {} }, { timeoutMs: 50 }));
    expect(error.message).toBe(`could not reach ${server.url}: no answer within 50 ms`);
    expect(error.hint).toBe("check TRACKER_URL or your network");
  });

  test("a 503 is retried, then the answer is returned", async () => {
    await using server = await startFakeTracker();
    server.route("GET", "/flaky", { status: 503 }, { status: 502 }, { json: { ok: true } });
    const clock = fakeSleep();
    expect(await getJson(`${server.url}/flaky`, {}, site(server.url), { config, env: {}, sleep: clock.sleep })).toEqual({ ok: true });
    expect(clock.waits).toEqual([1000, 2000]);
  });

  test("a 5xx that outlasts the retries says the tracker is having trouble", async () => {
    await using server = await startFakeTracker();
    server.route("GET", "/down", { status: 500, json: { message: "boom" } });
    const clock = fakeSleep();
    const error = await rejection(getJson(`${server.url}/down`, {}, site(server.url), { config, env: {}, sleep: clock.sleep }));
    expect(error.message).toBe(`Tracker answered 500 for T-1 from ${server.url}/down: boom`);
    expect(error.hint).toContain("try again later");
    expect(server.requests).toHaveLength(4);
  });

  test("a sign-in page served with 203 or 200 is a rejected token, not JSON", async () => {
    await using server = await startFakeTracker();
    server.route("GET", "/signin", { status: 203, text: "<html>Sign in</html>", headers: { "content-type": "text/html" } });
    const error = await rejection(getJson(`${server.url}/signin`, {}, site(server.url), { config, env: {} }));
    expect(error.message).toContain("token rejected");
    expect(error.hint).toBe("set a valid TRACKER_TOKEN");
  });

  test("403 without a rate limit names the permission to grant", async () => {
    await using server = await startFakeTracker();
    server.route("GET", "/private", { status: 403, json: { message: "Resource not accessible by s3cr3t-token" } });
    const error = await rejection(getJson(`${server.url}/private`, {}, site(server.url), { config, env: {} }));
    expect(error.message).toBe("Tracker denied access to T-1 (403): Resource not accessible by ***");
    expect(error.hint).toBe("grant read access");
  });
});

describe("helpers", () => {
  test("detailOf reads each tracker's error shape and ignores HTML bodies", () => {
    expect(detailOf('{"message":"Bad credentials"}')).toBe("Bad credentials");
    expect(detailOf('{"errorMessages":["Issue does not exist"],"errors":{}}')).toBe("Issue does not exist");
    expect(detailOf('{"error":"invalid_token"}')).toBe("invalid_token");
    expect(detailOf("<html><body>oops</body></html>")).toBe("");
    expect(detailOf("x".repeat(500))).toHaveLength(200);
  });

  test("scrub hides every secret in use", () => {
    expect(scrub("token abc123 and abc123", ["abc123"])).toBe("token *** and ***");
  });

  test("apiBaseUrl keeps the configured URL unless the issue lives on another server", () => {
    const forHost = (host: string) => `https://${host}/api/v4`;
    const fallback = "https://gitlab.com/api/v4";
    expect(apiBaseUrl(undefined, undefined, forHost, fallback)).toBe(fallback);
    expect(apiBaseUrl("https://git.corp/api/v4/", undefined, forHost, fallback)).toBe("https://git.corp/api/v4");
    expect(apiBaseUrl("https://git.corp/api/v4", "git.corp", forHost, fallback)).toBe("https://git.corp/api/v4");
    expect(apiBaseUrl("https://git.corp/api/v4", "gitlab.example.org", forHost, fallback)).toBe("https://gitlab.example.org/api/v4");
    expect(apiBaseUrl(undefined, "gitlab.example.org", forHost, fallback)).toBe("https://gitlab.example.org/api/v4");
  });
});
