// The supervisor: the one long-lived process that owns a repository's app. It detects, launches,
// probes health, records every change of status (state.json, health.jsonl), restarts on request and
// after a crash (bounded, with backoff), and takes everything down when told to stop.
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { AppDetection, AppState, type AppStatus, HealthRecord } from "../core/app-schema.ts";
import { takeAppRestart } from "../core/app-control.ts";
import { processStartSync } from "../core/process-identity.ts";
import { appendJsonl, type Workspace, writeJson } from "../core/workspace.ts";
import { appLog, logTail } from "./applog.ts";
import { detectApp } from "./detect.ts";
import { probe, startTracker, type Tracker, track } from "./health.ts";
import { describe, launch } from "./launch.ts";
import { type AppEnv, appEnvironment, type Launched, type Wrap } from "./launcher.ts";
import { freePort } from "./port.ts";

export type SuperviseOptions = {
  ws: Workspace;
  env: AppEnv;
  /** app.command from loki.yaml / LOKI_APP_COMMAND. */
  override?: string;
  wrap?: Wrap;
  runId: string | null;
  self: { pid: number; start: string | null };
  /** How long a start may take before the app shows as unhealthy (it keeps being probed). */
  readyTimeoutMs: number;
  /** Crashes in a row (without 30 s live in between) before the supervisor gives up. */
  maxRestarts: number;
  signal: AbortSignal;
  /** Poll periods (tests shorten nothing; kept here to name them). */
  tickMs?: number;
};

const STARTING_TICK_MS = 100;
const LIVE_TICK_MS = 1000;
const RESTART_POLL_MS = 500;
const STABLE_MS = 30_000;
const TAIL_LINES = 20;

type Watch = { why: "ended"; detail: string; liveMs: number } | { why: "restart" } | { why: "abort" };

export async function supervise(o: SuperviseOptions): Promise<AppStatus> {
  mkdirSync(o.ws.appDir, { recursive: true, mode: 0o700 });
  const log = appLog(o.ws.appLog);
  let crashes = 0;
  for (;;) {
    const detection = writeJson(
      o.ws.appDetection,
      AppDetection,
      detectApp(o.ws.root, { env: o.env, ...(o.override ? { override: o.override } : {}) }),
    );
    const base = baseState(o, detection);
    if (detection.kind === "none") {
      record(o, { ...base, status: "stopped", detail: detection.reason }, null);
      return "stopped";
    }
    const port = await freePort();
    log.write(`--- loki: starting ${describe(detection)} (PORT=${port}) ---\n`);
    record(o, { ...base, status: "starting", restarts: crashes, detail: null }, null);
    let launched: Launched | null = null;
    let project: string | null = null;
    let watched: Watch;
    try {
      ({ launched, project } = await launch(detection, {
        root: o.ws.root,
        port,
        env: appEnvironment(o.env),
        log: log.write,
        ...(o.wrap ? { wrap: o.wrap } : {}),
      }));
      const appStart = launched.pid === null ? null : (processStartSync(launched.pid) ?? null);
      watched = await watchApp(o, launched, { ...base, restarts: crashes, project, app_pid: launched.pid, app_start: appStart });
    } catch (error) {
      watched = { why: "ended", detail: `it could not start: ${error instanceof Error ? error.message : String(error)}`, liveMs: 0 };
    }
    const watch = watched;
    const after = { ...base, restarts: crashes, project };
    if (watch.why !== "ended") {
      await launched?.stop();
      log.flush();
      if (watch.why === "abort") {
        record(o, { ...after, status: "stopped", detail: stoppedBy(o) }, null);
        return "stopped";
      }
      crashes = 0;
      log.write("--- loki: restart requested ---\n");
      continue;
    }
    // Crashed is recorded before anything is taken down: what the primary did is what the status says,
    // whatever else of a stack still runs.
    log.flush();
    crashes = watch.liveMs >= STABLE_MS ? 1 : crashes + 1;
    const tail = logTail(o.ws.appLog, TAIL_LINES);
    if (crashes > o.maxRestarts) {
      record(o, { ...after, status: "crashed", detail: `${watch.detail}; gave up after ${crashes} starts in a row`, log_tail: tail }, null);
      await launched?.stop();
      return "crashed";
    }
    const backoff = Math.min(1000 * 2 ** (crashes - 1), 15_000);
    record(o, { ...after, status: "crashed", detail: `${watch.detail}; restarting in ${backoff / 1000} s`, log_tail: tail }, null);
    await launched?.stop();
    log.write(`--- loki: the app ended (${watch.detail}); restart ${crashes} of ${o.maxRestarts} in ${backoff / 1000} s ---\n`);
    const waited = await pause(o, backoff);
    if (waited === "abort") {
      record(o, { ...after, status: "stopped", detail: stoppedBy(o), log_tail: tail }, null);
      return "stopped";
    }
    if (waited === "restart") crashes = 0;
  }
}

type Base = Omit<AppState, "status" | "detail" | "updated_at">;

function baseState(o: SuperviseOptions, detection: AppDetection): Base {
  return {
    schema_version: 1,
    kind: detection.kind,
    framework: detection.framework,
    command: describe(detection),
    supervisor: o.self,
    app_pid: null,
    port: null,
    port_source: null,
    url: null,
    project: null,
    sandboxed: o.wrap !== undefined && detection.kind !== "compose" && detection.kind !== "dockerfile" && detection.kind !== "static",
    restarts: 0,
    run_id: o.runId,
    started_at: new Date().toISOString(),
    live_at: null,
    log_tail: [],
  };
}

/** Probes until the app ends, a restart is asked for or the supervisor is told to stop. */
async function watchApp(o: SuperviseOptions, launched: Launched, base: Base): Promise<Watch> {
  let ended: string | null = null;
  void launched.ended.then((why) => {
    ended = why;
  });
  let state: Base & { status: AppStatus; detail: string | null } = { ...base, status: "starting", detail: null };
  let tracker: Tracker = startTracker();
  const started = Date.now();
  let lastRestartPoll = 0;
  let lateSaid = false;
  for (;;) {
    if (o.signal.aborted) return { why: "abort" };
    if (ended !== null) return { why: "ended", detail: ended, liveMs: state.live_at ? Date.now() - Date.parse(state.live_at) : 0 };
    if (Date.now() - lastRestartPoll >= RESTART_POLL_MS) {
      lastRestartPoll = Date.now();
      if (takeAppRestart(o.ws)) return { why: "restart" };
    }
    if (state.url === null) {
      const found = await launched.port();
      if (found) {
        state = { ...state, port: found.port, port_source: found.source, url: `http://127.0.0.1:${found.port}/` };
        record(o, state, null);
      }
    }
    if (state.url !== null) {
      const result = await probe(state.url);
      const next = track(tracker, result);
      if (next.status !== tracker.status) {
        const live = next.status === "live";
        state = {
          ...state,
          status: next.status,
          live_at: live ? new Date().toISOString() : state.live_at,
          detail: live ? null : (result.detail ?? `HTTP ${result.http}`),
        };
        record(o, state, result);
      }
      tracker = next;
    }
    if (!lateSaid && tracker.status === "starting" && Date.now() - started > o.readyTimeoutMs) {
      lateSaid = true;
      const where = state.url ?? "any port (it holds no listening port of its own)";
      state = { ...state, status: "unhealthy", detail: `no healthy answer on ${where} within ${Math.round(o.readyTimeoutMs / 1000)} s` };
      tracker = { ...tracker, status: "unhealthy" };
      record(o, state, null);
    }
    await sleep(o.signal, tracker.status === "live" ? LIVE_TICK_MS : (o.tickMs ?? STARTING_TICK_MS));
  }
}

function record(o: SuperviseOptions, state: Omit<AppState, "updated_at">, result: { http: number | null; ms: number } | null): void {
  const full = writeJson(o.ws.appState, AppState, { ...state, updated_at: new Date().toISOString() }, "process");
  appendJsonl(o.ws.appHealth, HealthRecord, {
    ts: full.updated_at,
    status: full.status,
    url: full.url,
    http: result?.http ?? null,
    ms: result?.ms ?? null,
    detail: full.detail,
    run_id: full.run_id,
  });
}

/** "stopped by <who>" from what stopPreview left; a bare signal (kill, a logout) says so. */
function stoppedBy(o: SuperviseOptions): string {
  const path = join(o.ws.appDir, "stop-by");
  try {
    const by = readFileSync(path, "utf8").trim().slice(0, 200);
    rmSync(path, { force: true });
    return `stopped by ${by}`;
  } catch {
    return "stopped by a signal to its supervisor";
  }
}

/** Waits `ms`, or less when told to stop or asked to restart. */
async function pause(o: SuperviseOptions, ms: number): Promise<"done" | "abort" | "restart"> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (o.signal.aborted) return "abort";
    if (takeAppRestart(o.ws)) return "restart";
    await sleep(o.signal, Math.min(RESTART_POLL_MS, until - Date.now()));
  }
  return "done";
}

function sleep(signal: AbortSignal, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });
}
