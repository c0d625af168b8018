// core/app-control.ts: one restart request restarts once (claimed by rename, also with two processes
// racing for it), a malformed request is discarded as none, the app view of .loki/app/ reads a state
// whose supervisor is gone as stopped, and only loopback URLs with a port may be framed.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import {
  AppRestartRequest,
  previewUrl,
  readAppView,
  requestAppRestart,
  SUPERVISOR_GONE,
  takeAppRestart,
  VIEW_HEALTH,
} from "../../src/core/app-control.ts";
import { processStartSync } from "../../src/core/process-identity.ts";
import { workspaceAt } from "../../src/core/workspace.ts";
import { tmpdir } from "../helpers/tmp.ts";
import { appState, deadPid, health, writeApp } from "./app-fixture.ts";

const CONTROL = resolve(import.meta.dir, "..", "..", "src", "core", "app-control.ts");
const WORKSPACE = resolve(import.meta.dir, "..", "..", "src", "core", "workspace.ts");

describe("restart requests", () => {
  test("a request is written whole and valid, claimed once, and its claim file is gone", async () => {
    await using dir = await tmpdir();
    const ws = workspaceAt(dir.path);
    const written = requestAppRestart(ws, "dashboard");
    expect(AppRestartRequest.parse(JSON.parse(await Bun.file(ws.appRestart).text()))).toEqual(written);
    expect(takeAppRestart(ws)).toEqual({ requested_at: written.requested_at, by: "dashboard" });
    expect(takeAppRestart(ws)).toBeNull();
    expect(readdirSync(dirname(ws.appRestart))).toEqual([]);
  });

  test("none waiting: null", async () => {
    await using dir = await tmpdir();
    expect(takeAppRestart(workspaceAt(dir.path))).toBeNull();
  });

  test("a malformed request (not JSON, off-schema, extra keys) is removed and reads as none", async () => {
    await using dir = await tmpdir();
    const ws = workspaceAt(dir.path);
    mkdirSync(dirname(ws.appRestart), { recursive: true });
    for (const text of [
      "{not json",
      JSON.stringify({ schema_version: 1, by: "dashboard" }),
      JSON.stringify({ schema_version: 1, requested_at: "2026-01-01T00:00:00Z", by: "x", run: "rm -rf /" }),
      JSON.stringify({ schema_version: 9, requested_at: "2026-01-01T00:00:00Z", by: "x" }),
    ]) {
      writeFileSync(ws.appRestart, text);
      expect(takeAppRestart(ws)).toBeNull();
      expect(readdirSync(dirname(ws.appRestart))).toEqual([]);
    }
  });

  test("two processes racing for one request: exactly one gets it, every round", async () => {
    await using dir = await tmpdir();
    const ws = workspaceAt(dir.path);
    const script = `
      import { existsSync } from "node:fs";
      import { takeAppRestart } from ${JSON.stringify(CONTROL)};
      import { workspaceAt } from ${JSON.stringify(WORKSPACE)};
      const [root, go] = process.argv.slice(2);
      const deadline = Date.now() + 20000;
      while (!existsSync(go) && Date.now() < deadline) {}
      console.log(JSON.stringify(takeAppRestart(workspaceAt(root))));
    `;
    const file = join(dir.path, "claim.ts");
    writeFileSync(file, script);
    for (let round = 0; round < 4; round++) {
      const go = join(dir.path, `go-${round}`);
      requestAppRestart(ws, `round ${round}`);
      const claimers = [0, 1].map(() => Bun.spawn([process.execPath, file, dir.path, go], { stdout: "pipe", stderr: "pipe" }));
      await Bun.sleep(400); // both started and spinning on the go file
      writeFileSync(go, "");
      const answers = await Promise.all(claimers.map(async (p) => JSON.parse((await new Response(p.stdout).text()).trim())));
      expect(answers.filter((a) => a !== null)).toEqual([{ requested_at: expect.any(String), by: `round ${round}` }]);
      expect(existsSync(ws.appRestart)).toBe(false);
    }
  }, 60_000);
});

describe("the app view", () => {
  test("nothing in .loki/app/: no state, no records, no detection", async () => {
    await using dir = await tmpdir();
    expect(readAppView(workspaceAt(dir.path))).toEqual({ state: null, supervisor_alive: false, health: [], detection: null });
  });

  test("a live state whose supervisor runs reads as it is", async () => {
    await using dir = await tmpdir();
    const state = appState({ supervisor: { pid: process.pid, start: processStartSync(process.pid) ?? null } });
    writeApp(dir.path, { state });
    const view = readAppView(workspaceAt(dir.path));
    expect(view.supervisor_alive).toBe(true);
    expect(view.state).toEqual(state);
  });

  test("live, starting or unhealthy with the supervisor gone (or its pid reused): stopped, and why", async () => {
    await using dir = await tmpdir();
    const gone = { pid: await deadPid(), start: null };
    const reused = { pid: process.pid, start: "linux:another-boot:1" };
    for (const supervisor of [gone, reused])
      for (const status of ["live", "starting", "unhealthy"] as const) {
        writeApp(dir.path, { state: appState({ status, supervisor }) });
        const view = readAppView(workspaceAt(dir.path));
        expect(view.supervisor_alive).toBe(false);
        expect(view.state).toMatchObject({ status: "stopped", detail: SUPERVISOR_GONE });
      }
  });

  test("crashed with the supervisor gone stays crashed, with its own detail and log tail", async () => {
    await using dir = await tmpdir();
    const state = appState({ status: "crashed", supervisor: { pid: await deadPid(), start: null }, detail: "exit 1", log_tail: ["boom"] });
    writeApp(dir.path, { state });
    expect(readAppView(workspaceAt(dir.path)).state).toEqual(state);
  });

  test("an invalid state or detection reads as none; health keeps the newest records and skips torn lines", async () => {
    await using dir = await tmpdir();
    const records = Array.from({ length: VIEW_HEALTH + 10 }, (_, i) => JSON.stringify(health(i)));
    writeApp(dir.path, {
      raw: {
        "state.json": JSON.stringify({ ...appState(), status: "sleeping" }),
        "detection.json": "{torn",
        "health.jsonl": `${records.slice(0, 30).join("\n")}\n{"ts":"torn\n${records.slice(30).join("\n")}\n{"ts":"2026`,
      },
    });
    const view = readAppView(workspaceAt(dir.path));
    expect(view.state).toBeNull();
    expect(view.detection).toBeNull();
    expect(view.health.map((r) => r.detail)).toEqual(Array.from({ length: VIEW_HEALTH }, (_, i) => `probe ${i + 10}`));
  });
});

describe("previewUrl: only a loopback http address with a port is ever framed or linked", () => {
  test.each([
    ["http://127.0.0.1:5173/", "http://127.0.0.1:5173/"],
    ["http://localhost:3000/app?x=1#frag", "http://localhost:3000/app?x=1"],
    ["http://127.0.0.1:8080", "http://127.0.0.1:8080/"],
  ])("%s is framed as %s", (url, framed) => {
    expect(previewUrl(url)).toBe(framed);
  });

  test.each([
    "http://evil.example/",
    "http://evil.example:5173/",
    "https://127.0.0.1:5173/",
    "http://127.0.0.1/",
    "http://127.0.0.1.evil.example:5173/",
    "http://user:pw@127.0.0.1:5173/",
    "http://[::1]:5173/",
    "http://0.0.0.0:5173/",
    "javascript:alert(1)//127.0.0.1:1/",
    "data:text/html,<script>1</script>",
    "file:///etc/passwd",
    "not a url",
    "",
  ])("%s is not", (url) => {
    expect(previewUrl(url)).toBeNull();
  });

  test("null and absent are not", () => {
    expect(previewUrl(null)).toBeNull();
    expect(previewUrl(undefined)).toBeNull();
  });
});
