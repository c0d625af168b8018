// The Live App panel's server side on a real dashboard: the snapshot carries .loki/app/'s records (only
// them: no pid, no env; redacted; a non-loopback URL never marked frameable), the stream says "app" when
// state.json changes (also when .loki/app/ appears mid-stream), and POST /api/app/restart passes every
// control's checks before it leaves one request for the supervisor.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { AppRestartRequest } from "../../src/core/app-control.ts";
import type { Snapshot } from "../../src/dashboard/snapshot.ts";
import { appState, deadPid, detection, health, writeApp } from "./app-fixture.ts";
import { openStream, startHarness } from "./harness.ts";

const TOKEN = `ghp_${"A1b2C3d4E5".repeat(4).slice(0, 36)}`;
const restartFile = (root: string) => join(root, ".loki", "control", "app-restart.json");

describe("the snapshot's app view", () => {
  test("no .loki/app/: null; a detection of none: its reason, no state", async () => {
    await using h = await startHarness();
    expect(((await (await h.get("/api/snapshot")).json()) as Snapshot).app).toBeNull();
    writeApp(h.root, { detection: detection() });
    const s = (await (await h.get("/api/snapshot")).json()) as Snapshot;
    expect(s.app).toEqual({ state: null, detection: { kind: "none", framework: null, reason: detection().reason }, health: [] });
  });

  test("state, health and detection: only their fields for people, redacted, with the frameable URL", async () => {
    await using h = await startHarness();
    writeApp(h.root, {
      state: appState({ status: "crashed", detail: `exit 1 after GITHUB_TOKEN=${TOKEN}`, log_tail: ["listening", `token ${TOKEN}`] }),
      health: [health(0, { status: "starting", http: null }), health(1, { status: "crashed", detail: `probe saw ${TOKEN}` })],
      detection: detection({ kind: "framework", framework: "vite", command: ["npx", "vite"], reason: "package.json has vite" }),
    });
    const s = (await (await h.get("/api/snapshot")).json()) as Snapshot;
    const state = s.app?.state;
    expect(Object.keys(state ?? {}).sort()).toEqual(
      [
        "command",
        "detail",
        "frame_url",
        "framework",
        "kind",
        "live_at",
        "log_tail",
        "port",
        "restarts",
        "run_id",
        "sandboxed",
        "started_at",
        "status",
        "supervisor_alive",
        "updated_at",
        "url",
      ].sort(),
    );
    expect(state).toMatchObject({
      status: "crashed",
      url: "http://127.0.0.1:5173/",
      frame_url: "http://127.0.0.1:5173/",
      supervisor_alive: true,
    });
    expect(s.app?.health.map((r) => r.status)).toEqual(["starting", "crashed"]);
    expect(s.app?.detection).toEqual({ kind: "framework", framework: "vite", reason: "package.json has vite" });
    const text = JSON.stringify(s.app);
    expect(text).not.toContain(TOKEN);
    expect(text).toContain("[REDACTED");
    for (const hidden of ['supervisor"', "app_pid", "4242", "project", "env", "checked"]) expect(text).not.toContain(hidden);
    expect(s.ages.app).not.toBeNull();
  });

  test("a URL that is not a loopback address with a port is text only: frame_url null", async () => {
    await using h = await startHarness();
    for (const url of ["http://evil.example/", "https://127.0.0.1:5173/", "http://127.0.0.1/", "javascript:alert(1)"]) {
      writeApp(h.root, { state: appState({ url }) });
      const s = (await (await h.get("/api/snapshot")).json()) as Snapshot;
      expect(s.app?.state).toMatchObject({ url, frame_url: null });
    }
  });

  test("a live state whose supervisor is gone reads as stopped", async () => {
    await using h = await startHarness();
    writeApp(h.root, { state: appState({ supervisor: { pid: await deadPid(), start: null } }) });
    const s = (await (await h.get("/api/snapshot")).json()) as Snapshot;
    expect(s.app?.state).toMatchObject({ status: "stopped", supervisor_alive: false });
    expect(s.app?.state?.detail).toContain("loki preview");
  });
});

describe("the stream", () => {
  test("tells the page when state.json changes, also when .loki/app/ first appears mid-stream; not for app.log", async () => {
    await using h = await startHarness();
    const stream = await openStream(h);
    await stream.until((frames) => frames.some((f) => f.event === "hb"));
    const appFrames = () => stream.frames.filter((f) => f.event === "state" && JSON.parse(f.data).changed.includes("app")).length;
    writeApp(h.root, { state: appState({ status: "starting", live_at: null }) });
    await stream.until(() => appFrames() >= 1);
    const seen = appFrames();
    writeApp(h.root, { state: appState() });
    await stream.until(() => appFrames() > seen);
    const after = appFrames();
    writeApp(h.root, { raw: { "app.log": "GET / 200\n".repeat(50) } });
    await Bun.sleep(600);
    expect(appFrames()).toBe(after);
    await stream.close();
  });
});

describe("POST /api/app/restart", () => {
  test("with the token, from our origin, as JSON: 202 and one request for the supervisor, by the dashboard", async () => {
    await using h = await startHarness();
    writeApp(h.root, { state: appState() });
    const res = await h.post("/api/app/restart", {});
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ ok: true, started_at: appState().started_at });
    expect(AppRestartRequest.parse(JSON.parse(readFileSync(restartFile(h.root), "utf8")))).toMatchObject({ by: "dashboard" });
    // One per second, as every control.
    expect((await h.post("/api/app/restart", {})).status).toBe(429);
  });

  test("refused, and nothing written: no token, a wrong token, another origin, no origin, not JSON, a body", async () => {
    await using h = await startHarness();
    writeApp(h.root, { state: appState() });
    const cases: [Record<string, string>, unknown, number][] = [
      [{ "x-loki-token": "" }, {}, 401],
      [{ "x-loki-token": "guess" }, {}, 401],
      [{ origin: "http://127.0.0.1:1" }, {}, 403],
      [{ origin: "http://evil.example" }, {}, 403],
      [{ origin: "" }, {}, 403],
      [{ "content-type": "text/plain" }, {}, 415],
      [{}, { restart: "now" }, 400],
      [{}, "[]", 400],
    ];
    for (const [headers, body, status] of cases) {
      const res = await h.post("/api/app/restart", body, headers);
      expect([JSON.stringify(headers), res.status]).toEqual([JSON.stringify(headers), status]);
      expect(existsSync(restartFile(h.root))).toBe(false);
    }
    const bare = await fetch(`${h.dash.origin}/api/app/restart`, {
      method: "POST",
      body: "{}",
      headers: { origin: h.dash.origin, "content-type": "application/json" },
    });
    expect(bare.status).toBe(401);
    expect(existsSync(restartFile(h.root))).toBe(false);
  });

  test("no preview, or its supervisor gone: 409 and nothing left for a later one", async () => {
    await using h = await startHarness();
    const none = await h.post("/api/app/restart", {});
    expect(none.status).toBe(409);
    expect(((await none.json()) as { message: string }).message).toContain("loki preview");
    await Bun.sleep(1100);
    writeApp(h.root, { state: appState({ supervisor: { pid: await deadPid(), start: null } }) });
    expect((await h.post("/api/app/restart", {})).status).toBe(409);
    expect(existsSync(restartFile(h.root))).toBe(false);
  });
});
