// The run's token as the only credential, attacked: a cookie (even one holding the token) opens nothing,
// wrong tokens of every length are refused without a throw, the launch key trades for the token once, and
// the proof tab's one-use key is spent on its first GET. Real server and sockets; the compares directly too.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hasToken, newSession, proofKey, same, spendLaunchKey, spendProofKey } from "../../src/dashboard/guard.ts";
import { DATA_ROUTES, type Harness, raw, startHarness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h[Symbol.asyncDispose]();
});

const request = (method: string, path: string, headers: Record<string, string>, body = "") =>
  raw(
    h.port,
    `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\n${Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join("")}${body ? `Content-Length: ${body.length}\r\n` : ""}\r\n${body}`,
    path.startsWith("/events"),
  );

describe("a cookie is no credential", () => {
  test("an old-style session cookie, or a cookie holding the token itself, gets 401 on every data route and every control", async () => {
    const cookies = [
      `loki_session_${h.port}=${"a".repeat(43)}`,
      `loki_session=${h.token}`,
      `loki_session_${h.port}=${h.token}; t=${h.token}; x-loki-token=${h.token}`,
    ];
    for (const cookie of cookies) {
      for (const path of DATA_ROUTES) {
        const response = await request("GET", path, { Cookie: cookie });
        expect({ path, cookie, status: response.status }).toEqual({ path, cookie, status: 401 });
      }
      for (const [action, body] of [
        ["pause", "{}"],
        ["budget", '{"limit_usd":1000}'],
        ["stop", '{"mode":"now"}'],
      ] as const) {
        const response = await request(
          "POST",
          `/api/control/${action}`,
          { Cookie: cookie, Origin: h.dash.origin, "Content-Type": "application/json" },
          body,
        );
        expect({ action, status: response.status }).toEqual({ action, status: 401 });
      }
    }
    expect(h.calls).toEqual([]);
    expect(existsSync(join(h.root, ".loki", "PAUSE"))).toBe(false);
    expect(existsSync(join(h.root, ".loki", "control"))).toBe(false);
  });
});

describe("wrong tokens", () => {
  test("the right length but wrong, shorter, longer, multi-byte or empty: 401 everywhere, never a 500", async () => {
    const flipped = `${h.token.slice(0, -1)}${h.token.endsWith("A") ? "B" : "A"}`;
    const wrong = [flipped, "A".repeat(43), h.token.slice(0, 42), `${h.token}A`, "x", `${h.token.slice(0, 41)}é`, "é".repeat(43)];
    for (const token of wrong) {
      for (const path of ["/api/snapshot", "/api/diff", "/api/proof/verify"]) {
        const response = await h.get(path, { "x-loki-token": token });
        expect({ token, path, status: response.status }).toEqual({ token, path, status: 401 });
      }
      for (const path of ["/events", "/proof"]) {
        const response = await request("GET", `${path}?t=${encodeURIComponent(token)}`, {});
        expect({ token, path, status: response.status }).toEqual({ token, path, status: 401 });
      }
      expect((await h.post("/api/control/pause", {}, { "x-loki-token": token })).status).toBe(401);
    }
    expect(h.calls).toEqual([]);
  });

  test("the compare answers false for any length and does not throw", () => {
    const session = newSession(1);
    const url = new URL("http://127.0.0.1:1/events");
    for (const token of ["", "a", "A".repeat(43), `${session.token}x`, "é".repeat(22), "\u0000".repeat(43)]) {
      expect(same(token, session.token)).toBe(false);
      if (token.includes("\u0000")) continue; // not a legal header value: fetch refuses it before us
      const req = new Request(url.href, { headers: { "x-loki-token": token } });
      expect(hasToken(req, url, session)).toBe(false);
    }
    expect(same(session.token, session.token)).toBe(true);
    expect(hasToken(new Request(url.href, { headers: { "x-loki-token": session.token } }), url, session)).toBe(true);
    const withQuery = new URL(`http://127.0.0.1:1/events?t=${session.token}`);
    expect(hasToken(new Request(withQuery.href), withQuery, session, true)).toBe(true);
    expect(hasToken(new Request(withQuery.href), withQuery, session, false)).toBe(false);
  });
});

describe("the launch key", () => {
  test("launchUrl carries a one-use key, not the token: it trades for the token once, then 401; the token keeps working", async () => {
    expect(h.dash.launchUrl).toBe(`${h.dash.origin}/?k=${h.launchKey}`);
    expect(h.launchKey).toMatch(/^[\w-]{43}$/);
    expect(h.dash.launchUrl).not.toContain(h.token);
    // Wrong, malformed or token-shaped keys are 401 and do not burn the real one.
    for (const key of ["", "x", "A".repeat(43), h.token, `${h.launchKey}A`, h.launchKey.slice(1), "é".repeat(43)])
      expect({ key, status: (await h.launch(key)).status }).toEqual({ key, status: 401 });
    for (const body of ["{}", "null", "[]", `{"key":1}`, `"${h.launchKey}"`, "not json", `{"key":"${h.launchKey}"`]) {
      const response = await fetch(`${h.dash.origin}/api/session`, {
        method: "POST",
        body,
        headers: { origin: h.dash.origin, "content-type": "application/json" },
      });
      expect({ body, status: response.status }).toEqual({ body, status: 401 });
    }
    const first = await h.launch(h.launchKey);
    expect(first.status).toBe(200);
    const { token } = (await first.json()) as { token: string };
    expect(token).toBe(h.token);
    const second = await h.launch(h.launchKey);
    expect(second.status).toBe(401);
    expect(((await second.json()) as { message: string }).message).toContain("this link was used already");
    // The key is no token, anywhere.
    expect((await h.get("/api/snapshot", { "x-loki-token": h.launchKey })).status).toBe(401);
    expect((await request("GET", `/events?t=${h.launchKey}`, {})).status).toBe(401);
    expect((await h.post("/api/control/pause", {}, { "x-loki-token": h.launchKey })).status).toBe(401);
    expect((await h.get("/api/snapshot", { "x-loki-token": token })).status).toBe(200);
    expect((await h.post("/api/control/resume", {}, { "x-loki-token": token })).status).toBe(200);
    expect(h.calls).toEqual(["resume"]);
    h.calls.length = 0;

    const session = newSession(1);
    const key = session.launchKey ?? "";
    expect(spendLaunchKey(session, "A".repeat(43))).toBe(false);
    expect(spendLaunchKey(session, key)).toBe(true);
    expect(spendLaunchKey(session, key)).toBe(false);
    expect(spendLaunchKey(session, "")).toBe(false);
  });
});

describe("the proof tab", () => {
  test("POST /api/proof/key names a one-use /proof/<key>: served once, then 401; a made-up or expired key is 401", async () => {
    mkdirSync(join(h.root, ".loki", "proofs", "r-test"), { recursive: true });
    writeFileSync(join(h.root, ".loki", "proofs", "r-test", "index.html"), "<p>the proof</p>");
    const minted = await h.post("/api/proof/key", {});
    expect(minted.status).toBe(200);
    const { url } = (await minted.json()) as { url: string };
    expect(url).toMatch(/^\/proof\/[\w-]{43}$/);
    expect(url).not.toContain(h.token);
    const served = await fetch(`${h.dash.origin}${url}`);
    expect(served.status).toBe(200);
    expect(served.headers.get("content-security-policy")).toBe("sandbox");
    expect(served.headers.get("referrer-policy")).toBe("no-referrer");
    expect(await served.text()).toBe("<p>the proof</p>");
    expect((await fetch(`${h.dash.origin}${url}`)).status).toBe(401);
    expect((await fetch(`${h.dash.origin}/proof/${"A".repeat(43)}`)).status).toBe(401);
    expect((await fetch(`${h.dash.origin}/proof/${h.token}`)).status).toBe(401);
    expect((await fetch(`${h.dash.origin}/proof/${h.launchKey}`)).status).toBe(401);

    const session = newSession(1);
    const key = proofKey(session, 0);
    expect(spendProofKey(session, key, 30_001)).toBe(false);
    expect(spendProofKey(session, key, 0)).toBe(false);
  });

  test("the old token link /proof?t=<token> is gone: 401 without the header, 404 with it, never a redirect", async () => {
    const viaQuery = await fetch(`${h.dash.origin}/proof?t=${h.token}`, { redirect: "manual" });
    expect(viaQuery.status).toBe(401);
    expect(viaQuery.headers.get("location")).toBeNull();
    const viaHeader = await h.get(`/proof?t=${h.token}`);
    expect(viaHeader.status).toBe(404);
    expect(viaHeader.headers.get("location")).toBeNull();
  });
});
