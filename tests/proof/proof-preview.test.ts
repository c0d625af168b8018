// The proof's Live App section over a hand-made finished run (a real repository, spec and completion; the
// .loki/app/ records written as the supervisor writes them): present for this run's app or one live at the
// end, redacted by the one chokepoint, capped at 200 health records, rendered in index.html as escaped text;
// absent otherwise — and a proof without it (every proof before it) still verifies clean.
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AppState, HealthRecord } from "../../src/core/app-schema.ts";
import { Config } from "../../src/core/config.ts";
import { PROOF_HEALTH_CAP, ProofFile } from "../../src/core/proof-schema.ts";
import { Completion } from "../../src/core/run-schema.ts";
import { Spec } from "../../src/core/schema.ts";
import { workspaceAt, writeJson } from "../../src/core/workspace.ts";
import { writeProof } from "../../src/proof/assemble.ts";
import { statusAt } from "../../src/proof/preview.ts";
import { verifyProof } from "../../src/proof/verify.ts";
import { readSpec } from "../../src/spec/read.ts";
import { schemaErrors } from "../helpers/schemas.ts";
import { git, tmpdir } from "../helpers/tmp.ts";
import { appState, deadPid, health, writeApp } from "../dashboard/app-fixture.ts";

const RUN = "20260101-120000-prev";
const FINISHED = "2026-01-01T12:10:00.000Z";
const TOKEN = `ghp_${"A1b2C3d4E5".repeat(4).slice(0, 36)}`;

/** A finished run in a real repository: one commit of work on top of the start, its spec and completion. */
async function finishedRun(app?: Completion["app"]) {
  const dir = await tmpdir({
    commit: true,
    files: { "prd.md": "# Counter\n\n- [ ] a page shows a counter\n", "index.html": "<p>0</p>\n" },
  });
  const start = git(dir.path, ["rev-parse", "HEAD"]).trim();
  dir.write("index.html", "<p>0</p><button>+</button>\n");
  git(dir.path, ["commit", "-qam", "counter"]);
  const head = git(dir.path, ["rev-parse", "HEAD"]).trim();
  const ws = workspaceAt(dir.path);
  writeJson(ws.runSpec, Spec, await readSpec("prd.md", { cwd: dir.path, config: Config.parse({}), env: {} }));
  writeJson(ws.completion, Completion, {
    schema_version: 1,
    run_id: RUN,
    outcome: "verified",
    exit_code: 0,
    reason: "every item met",
    start_sha: start,
    head_sha: head,
    branch: null,
    iterations: 1,
    diffstat: { files: 1, insertions: 1, deletions: 1 },
    cost: { usd: 0, basis: "none" },
    pr_url: null,
    next: "loki proof open",
    finished_at: FINISHED,
    ...(app ? { app } : {}),
  });
  return { dir, ws };
}

const at = (minutes: number) => new Date(Date.parse("2026-01-01T12:00:00.000Z") + minutes * 60_000).toISOString();
const record = (minutes: number, over: Partial<HealthRecord>): HealthRecord => ({ ...health(0), ts: at(minutes), run_id: RUN, ...over });
const runApp = (over: Partial<AppState> = {}) =>
  appState({ run_id: RUN, started_at: at(1), live_at: at(2), updated_at: at(9), restarts: 1, ...over });

describe("the proof's preview section", () => {
  test("this run's live app: present, redacted, schema-valid, rendered, and the proof verifies clean", async () => {
    const { dir, ws } = await finishedRun();
    await using _ = dir;
    writeApp(dir.path, {
      state: runApp({ command: `node server.js --token ${TOKEN}` }),
      health: [
        record(1, { status: "starting", http: null, ms: null, detail: "waiting for port 5173" }),
        record(2, { status: "live", detail: null }),
        record(4, { status: "unhealthy", http: 500, detail: `GET / answered 500 with ${TOKEN} in its body` }),
        record(5, { status: "live", detail: '<img src=x onerror="alert(1)">' }),
        // Another run's app, and a preview's: not this run's history.
        record(3, { run_id: "other-run", detail: "other" }),
        record(3, { run_id: null, detail: "preview" }),
      ],
    });
    const { dir: proofDir, file } = await writeProof(ws, RUN);
    const preview = file.payload.preview;
    expect(preview).toMatchObject({
      url: "http://127.0.0.1:5173/",
      status: "live",
      kind: "framework",
      framework: "vite",
      sandboxed: true,
      restarts: 1,
      live_at: at(2),
    });
    expect(preview?.health.map((r) => r.status)).toEqual(["starting", "live", "unhealthy", "live"]);
    const json = readFileSync(join(proofDir, "proof.json"), "utf8");
    expect(json).not.toContain(TOKEN);
    expect(preview?.health[2]?.detail).toContain("[REDACTED:");
    expect(preview?.command).toContain("[REDACTED:");
    expect(file.payload.redaction.total).toBeGreaterThanOrEqual(2);
    expect(schemaErrors("proof", JSON.parse(json))).toEqual([]);

    const html = readFileSync(join(proofDir, "index.html"), "utf8");
    expect(html).toContain("Live app: <code>http://127.0.0.1:5173/</code> — live since 2026-01-01 12:02:00 UTC");
    expect(html).toContain("<th>status</th>");
    expect(html).toContain("waiting for port 5173");
    expect(html).not.toContain(TOKEN);
    expect(html).not.toContain("<img src=x");
    expect(html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
    expect(html).not.toContain('href="http://127.0.0.1');

    expect((await verifyProof(ws, RUN)).status).toBe("clean");
  });

  test("not live at the run's end: the status then, and the page says so", async () => {
    const { dir, ws } = await finishedRun();
    await using _ = dir;
    writeApp(dir.path, {
      state: runApp({ status: "crashed", supervisor: { pid: await deadPid(), start: null }, detail: "exit 1" }),
      health: [record(2, { status: "live" }), record(8, { status: "crashed", http: null, detail: "the app exited with code 1" })],
    });
    const { dir: proofDir, file } = await writeProof(ws, RUN);
    expect(file.payload.preview?.status).toBe("crashed");
    const html = readFileSync(join(proofDir, "index.html"), "utf8");
    expect(html).toContain("The app was not live at the end of the run: the app exited with code 1.");
    expect(html).not.toContain("Live app: <code>");
  });

  test("the run's own account of its app at the end (completion.json) is the status the proof records", async () => {
    const { dir, ws } = await finishedRun({ status: "unhealthy", url: "http://127.0.0.1:5173/", detail: "GET / answered 502" });
    await using _ = dir;
    writeApp(dir.path, { state: runApp(), health: [record(2, { status: "live" })] });
    expect((await writeProof(ws, RUN)).file.payload.preview?.status).toBe("unhealthy");
  });

  test("a preview `loki preview` started (no run id): in the proof only when it was live at the run's end, with all its history", async () => {
    const { dir, ws } = await finishedRun();
    await using _ = dir;
    const mine = { run_id: null };
    writeApp(dir.path, {
      state: appState({ ...mine, started_at: at(0), live_at: at(1) }),
      health: [
        record(0, { ...mine, status: "starting" }),
        record(1, { ...mine, status: "live" }),
        record(12, { ...mine, status: "crashed" }),
      ],
    });
    const live = (await writeProof(ws, RUN)).file.payload.preview;
    expect(live?.status).toBe("live");
    expect(live?.health.map((r) => r.status)).toEqual(["starting", "live", "crashed"]);
    // Started only after the run had finished: not the run's.
    writeApp(dir.path, { state: appState({ ...mine, started_at: at(11), live_at: at(11) }), health: [] });
    expect((await writeProof(ws, RUN)).file.payload.preview).toBeUndefined();
  });

  test("another run's app that was not live at the end, or no app at all: no preview key; such a proof verifies clean", async () => {
    const { dir, ws } = await finishedRun();
    await using _ = dir;
    writeApp(dir.path, { state: runApp({ run_id: "other-run", status: "stopped" }), health: [] });
    expect("preview" in (await writeProof(ws, RUN)).file.payload).toBe(false);
    const bare = await finishedRun();
    await using __ = bare.dir;
    const { dir: proofDir, file } = await writeProof(bare.ws, RUN);
    expect("preview" in file.payload).toBe(false);
    expect(readFileSync(join(proofDir, "index.html"), "utf8")).not.toContain('id="preview"');
    expect((await verifyProof(bare.ws, RUN)).status).toBe("clean");
    // A proof written before the section existed parses with this loki's schema as it is.
    expect(ProofFile.parse(JSON.parse(readFileSync(join(proofDir, "proof.json"), "utf8"))).payload.preview).toBeUndefined();
  });

  test(`health is capped at ${PROOF_HEALTH_CAP}, the oldest dropped first`, async () => {
    const { dir, ws } = await finishedRun();
    await using _ = dir;
    const many = Array.from({ length: PROOF_HEALTH_CAP + 50 }, (_, i) => ({ ...health(i), run_id: RUN, detail: `probe ${i}` }));
    writeApp(dir.path, { state: runApp(), health: many });
    const kept = (await writeProof(ws, RUN)).file.payload.preview?.health ?? [];
    expect(kept).toHaveLength(PROOF_HEALTH_CAP);
    expect(kept[0]?.detail).toBe("probe 50");
    expect(kept.at(-1)?.detail).toBe(`probe ${PROOF_HEALTH_CAP + 49}`);
  });

  test("a tampered preview is caught like any other edit", async () => {
    const { dir, ws } = await finishedRun();
    await using _ = dir;
    writeApp(dir.path, { state: runApp(), health: [record(2, { status: "live" })] });
    const { dir: proofDir } = await writeProof(ws, RUN);
    const path = join(proofDir, "proof.json");
    writeFileSync(path, readFileSync(path, "utf8").replace('"status": "live"', '"status": "crashed"'));
    expect((await verifyProof(ws, RUN)).status).toBe("tampered");
  });
});

describe("statusAt", () => {
  const state = appState({ status: "stopped", started_at: at(1) });
  test("the last change up to the time, else the state's own if it had started, else stopped", () => {
    const changes = [record(2, { status: "live" }), record(5, { status: "crashed" })];
    expect(statusAt(state, changes, at(4))).toBe("live");
    expect(statusAt(state, changes, at(5))).toBe("crashed");
    expect(statusAt(state, changes, at(1.5))).toBe("stopped");
    expect(statusAt(appState({ status: "live", started_at: at(1) }), [], at(3))).toBe("live");
    expect(statusAt(appState({ status: "live", started_at: at(4) }), [], at(3))).toBe("stopped");
  });
});
