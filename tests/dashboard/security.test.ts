// The dashboard's doors, attacked next to their honest twins: foreign Host (DNS rebinding), no or wrong
// token, cross-origin and "simple" POSTs (controls, launch and proof keys), rate limit, CORS headers,
// path-like diff ids and a proof symlink out of .loki/. Real server, real sockets, real files.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DATA_ROUTES, type Harness, PAGE_ROUTES, raw, startHarness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h[Symbol.asyncDispose]();
});

/** Raw GET with `X-Loki-Token: <token>`; no such header at all when token is null. */
const get = (path: string, host: string, token: string | null = h.token) =>
  raw(
    h.port,
    `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${token === null ? "" : `X-Loki-Token: ${token}\r\n`}\r\n`,
    path.startsWith("/events"),
  );
const ROUTES = [...PAGE_ROUTES, ...DATA_ROUTES];

describe("Host allowlist", () => {
  test("our own names are served", async () => {
    for (const host of [`127.0.0.1:${h.port}`, `localhost:${h.port}`, `[::1]:${h.port}`]) {
      expect({ host, status: (await get("/api/snapshot", host)).status }).toEqual({ host, status: 200 });
    }
  });

  test("any other Host gets 421 on every route, the page's files included, even with the token", async () => {
    const foreign = [
      `evil.example:${h.port}`,
      `127.0.0.1.evil.example:${h.port}`,
      `localhost:${h.port + 1}`,
      `127.0.0.1:${h.port + 1}`,
      "127.0.0.1",
      `127.0.0.1:${h.port}.evil.example`,
      `LOCALHOST:${h.port}x`,
    ];
    for (const host of foreign)
      for (const path of ["/api/snapshot", "/", "/app.js", `/events?t=${h.token}`])
        expect({ host, path, status: (await get(path, host)).status }).toEqual({ host, path, status: 421 });
  });

  test("a request without a Host header is refused", async () => {
    const response = await raw(h.port, `GET /api/snapshot HTTP/1.0\r\nX-Loki-Token: ${h.token}\r\n\r\n`);
    expect(response.status).toBe(421);
  });
});

describe("token", () => {
  test("every data route needs the token: 401 without it or with a wrong one; the page's files do not", async () => {
    for (const token of [null, "", "wrong", `${h.token}x`, h.token.slice(1), h.token.toUpperCase()])
      for (const path of DATA_ROUTES) {
        const response = await get(path, `127.0.0.1:${h.port}`, token);
        expect({ path, token, status: response.status }).toEqual({ path, token, status: 401 });
        expect(response.body).toContain("loki dashboard");
      }
    for (const path of PAGE_ROUTES)
      expect({ path, status: (await get(path, `127.0.0.1:${h.port}`, null)).status }).toEqual({ path, status: 200 });
    const post = await fetch(`${h.dash.origin}/api/control/pause`, {
      method: "POST",
      body: "{}",
      headers: { origin: h.dash.origin, "content-type": "application/json" },
    });
    expect(post.status).toBe(401);
    expect(h.calls).toEqual([]);
  });

  test("the token is 32 random bytes in the link only; no response sets a cookie; the page does not carry it", async () => {
    expect(h.token).toMatch(/^[\w-]{43}$/);
    for (const path of ROUTES) expect((await get(path, `127.0.0.1:${h.port}`)).headers["set-cookie"]).toBeUndefined();
    expect((await fetch(h.dash.url)).headers.get("set-cookie")).toBeNull();
    for (const path of PAGE_ROUTES) expect(await (await fetch(`${h.dash.origin}${path}`)).text()).not.toContain(h.token);
  });

  test("`t=` in the URL counts only for /events (a subresource, in no history), never for a page, the API or a control", async () => {
    const query = `t=${h.token}`;
    expect((await get(`/events?from=0&${query}`, `127.0.0.1:${h.port}`, null)).status).toBe(200);
    for (const path of ["/proof", "/api/snapshot", "/api/diff", "/api/proof/verify"])
      expect({ path, status: (await get(`${path}?${query}`, `127.0.0.1:${h.port}`, null)).status }).toEqual({ path, status: 401 });
    const post = await h.post(`/api/control/pause?${query}`, {}, { "x-loki-token": "" });
    expect(post.status).toBe(401);
    expect((await h.post(`/api/proof/key?${query}`, {}, { "x-loki-token": "" })).status).toBe(401);
    expect(h.calls).toEqual([]);
  });
});

describe("controls (POST)", () => {
  test("an honest same-origin JSON request with the token header reaches the control", async () => {
    const response = await h.post("/api/control/resume", {});
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, message: "resumed" });
    expect(h.calls).toContain("resume");
  });

  test("cross-origin, missing Origin, simple content types and a missing or wrong token are refused", async () => {
    const before = [...h.calls];
    const cases: [Record<string, string>, number][] = [
      [{ origin: `http://127.0.0.1:${h.port + 1}` }, 403],
      [{ origin: `http://localhost:${h.port + 1}` }, 403],
      [{ origin: "http://evil.example" }, 403],
      [{ origin: "null" }, 403],
      [{ origin: `http://127.0.0.1:${h.port}.evil.example` }, 403],
      [{ "content-type": "text/plain" }, 415],
      [{ "content-type": "application/x-www-form-urlencoded" }, 415],
      [{ "content-type": "multipart/form-data; boundary=x" }, 415],
      [{ "x-loki-token": "" }, 401],
      [{ "x-loki-token": `${h.token}x` }, 401],
      [{ "x-loki-token": "A".repeat(43) }, 401],
    ];
    for (const [headers, status] of cases) {
      const response = await h.post("/api/control/stop", { mode: "now" }, headers);
      expect({ headers, status: response.status }).toEqual({ headers, status });
    }
    const noOrigin = await fetch(`${h.dash.origin}/api/control/stop`, {
      method: "POST",
      body: JSON.stringify({ mode: "now" }),
      headers: { "x-loki-token": h.token, "content-type": "application/json" },
    });
    expect(noOrigin.status).toBe(403);
    const noToken = await raw(
      h.port,
      `POST /api/control/stop HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\nOrigin: ${h.dash.origin}\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{"mode":"now"}\n`,
    );
    expect(noToken.status).toBe(401);
    expect(h.calls).toEqual(before);
  });

  test("one request per second per action: the second is 429, another action is not held up", async () => {
    expect((await h.post("/api/control/pause", {})).status).toBe(200);
    const again = await h.post("/api/control/pause", {});
    expect(again.status).toBe(429);
    expect((await h.post("/api/control/budget", { limit_usd: 20 })).status).toBe(200);
    await Bun.sleep(1050);
    expect((await h.post("/api/control/pause", {})).status).toBe(200);
    expect(h.calls.filter((c) => c === "pause")).toHaveLength(2);
  });

  test("bad bodies get 400 and never reach the control; a control's refusal keeps its status", async () => {
    const before = [...h.calls];
    const bad: [string, unknown][] = [
      ["stop", { mode: "later" }],
      ["stop", {}],
      ["budget", { limit_usd: -1 }],
      ["budget", { limit_usd: "10" }],
      ["model", { model: "" }],
      ["pause", { extra: 1 }],
      ["pause", "not json"],
      ["pause", "[]"],
    ];
    for (const [action, body] of bad)
      expect({ action, status: (await h.post(`/api/control/${action}`, body)).status }).toEqual({ action, status: 400 });
    expect(h.calls).toEqual(before);
    const refused = await h.post("/api/control/model", { model: "nope" });
    expect(refused.status).toBe(422);
    expect(await refused.json()).toEqual({ ok: false, message: "unknown model" });
    expect((await h.post("/api/control/waive", {})).status).toBe(404);
  });
});

describe("keys (POST)", () => {
  test("/api/session and /api/proof/key take the mutation checks; a refused launch does not spend the key", async () => {
    const before = [...h.calls];
    const refused: [Record<string, string>, number][] = [
      [{ origin: `http://127.0.0.1:${h.port + 1}` }, 403],
      [{ origin: "http://evil.example" }, 403],
      [{ origin: "null" }, 403],
      [{ "content-type": "text/plain" }, 415],
      [{ "content-type": "application/x-www-form-urlencoded" }, 415],
    ];
    for (const [headers, status] of refused) {
      expect({ headers, status: (await h.launch(h.launchKey, headers)).status }).toEqual({ headers, status });
      expect({ headers, status: (await h.post("/api/proof/key", {}, headers)).status }).toEqual({ headers, status });
    }
    const bare = { method: "POST", body: "{}", headers: { "content-type": "application/json", "x-loki-token": h.token } };
    expect((await fetch(`${h.dash.origin}/api/proof/key`, bare)).status).toBe(403);
    expect((await h.post("/api/proof/key", {}, { "x-loki-token": "" })).status).toBe(401);
    expect((await fetch(`${h.dash.origin}/api/session`, { ...bare, body: JSON.stringify({ key: h.launchKey }) })).status).toBe(403);
    expect((await h.get("/api/session")).status).toBe(404);
    const launched = await h.launch(h.launchKey);
    expect(launched.status).toBe(200);
    expect(await launched.json()).toEqual({ token: h.token });
    expect(h.calls).toEqual(before);
  });
});

describe("headers", () => {
  test("no Access-Control-* header on any answer, and the security headers on every one", async () => {
    const answers = [
      ...(await Promise.all(ROUTES.map((path) => get(path, `127.0.0.1:${h.port}`)))),
      ...(await Promise.all(ROUTES.map((path) => get(path, `127.0.0.1:${h.port}`, null)))),
      await get("/api/snapshot", "evil.example"),
      await get("/nope", `127.0.0.1:${h.port}`),
      await raw(
        h.port,
        `OPTIONS /api/control/pause HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\nOrigin: http://127.0.0.1:1\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: x-loki-token, content-type\r\n\r\n`,
      ),
    ];
    for (const answer of answers) {
      expect(Object.keys(answer.headers).filter((name) => name.startsWith("access-control-"))).toEqual([]);
      expect(answer.headers["x-content-type-options"]).toBe("nosniff");
      expect(answer.headers["referrer-policy"]).toBe("no-referrer");
      expect(answer.headers["cache-control"]).toBe("no-store");
      expect(answer.headers["content-security-policy"]).toMatch(
        /^(default-src 'self'; img-src 'self' data:; frame-src http:\/\/127\.0\.0\.1:\* http:\/\/localhost:\*; frame-ancestors 'none'|sandbox)$/,
      );
    }
  });
});

describe("ids, never paths", () => {
  test("a diff index outside the list, negative, non-numeric or path-like is 404", async () => {
    for (const id of [
      "999",
      "-1",
      "abc",
      "1.5",
      "..%2f..%2fetc%2fpasswd",
      "0%2f..%2f..%2fetc%2fpasswd",
      "%2e%2e",
      "0/../../etc/passwd",
      "1e3",
      "0x0",
    ]) {
      const response = await get(`/api/diff/${id}`, `127.0.0.1:${h.port}`);
      expect({ id, status: response.status }).toEqual({ id, status: 404 });
      expect(response.body).not.toContain("root:");
    }
  });

  test("a proof symlinked out of .loki/ is not served; the real one is, sandboxed", async () => {
    const outside = mkdtempSync(join(tmpdir(), "outside-"));
    writeFileSync(join(outside, "index.html"), "<p>OUTSIDE-SECRET</p>");
    mkdirSync(join(h.root, ".loki", "proofs"), { recursive: true });
    symlinkSync(outside, join(h.root, ".loki", "proofs", "r-test"));
    const viaDir = await h.proof();
    expect(viaDir.status).toBe(404);
    expect(await viaDir.text()).not.toContain("OUTSIDE-SECRET");

    const { rmSync } = await import("node:fs");
    rmSync(join(h.root, ".loki", "proofs", "r-test"));
    mkdirSync(join(h.root, ".loki", "proofs", "r-test"));
    symlinkSync(join(outside, "index.html"), join(h.root, ".loki", "proofs", "r-test", "index.html"));
    expect((await h.proof()).status).toBe(404);

    rmSync(join(h.root, ".loki", "proofs", "r-test", "index.html"));
    writeFileSync(join(h.root, ".loki", "proofs", "r-test", "index.html"), "<p>the proof</p>");
    const real = await h.proof();
    expect(real.status).toBe(200);
    expect(real.headers.get("content-security-policy")).toBe("sandbox");
    expect(await real.text()).toBe("<p>the proof</p>");
  });
});
