// Start, attach to, stop and read the preview of one repository. The supervisor is a detached loki
// process (spawned by the caller's `spawn`); this file finds it through state.json, checks it is the
// same process before it signals it, and waits on the status it records.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { AppDetection, AppState } from "../core/app-schema.ts";
import { aliveOrStopped, requestAppRestart, supervisorAlive } from "../core/app-control.ts";
import { signalGroup } from "../core/proc.ts";
import { pidStateSync, signalSaved } from "../core/process-identity.ts";
import { readJson, withLock, type Workspace, writeFileAtomic, writeJson } from "../core/workspace.ts";
import { logTail } from "./applog.ts";
import { detectApp } from "./detect.ts";
import { describe, projectName, removeProject } from "./launch.ts";

export type PreviewView = { state: AppState | null; supervisor: boolean };

/** state.json and whether its supervisor still runs; never throws (a torn or foreign file reads as none). */
export function readPreview(ws: Workspace): PreviewView {
  let state: AppState | null = null;
  try {
    state = readJson(ws.appState, AppState) ?? null;
  } catch {
    state = null;
  }
  const supervisor = state !== null && supervisorAlive(state);
  return { state, supervisor };
}

/** The status a reader should show: a supervisor that is gone leaves nothing starting or live. */
export function effectiveStatus(view: PreviewView): AppState["status"] | "none" {
  return view.state ? aliveOrStopped(view.state, view.supervisor).status : "none";
}

export type Spawned = { pid: number; start: string | null };

export type EnsureOptions = {
  /** Starts `loki preview __supervise` detached, returning its identity (commands/ knows how to run loki). */
  spawn: () => Spawned;
  override?: string;
  env: Record<string, string | undefined>;
  restart?: boolean;
  by: string;
  /** How long to wait for live (or a crash) before returning what there is. */
  waitMs: number;
  onChange?: (state: AppState) => void;
};

export type Ensured =
  | { kind: "none"; detection: AppDetection }
  | { kind: "attached" | "started" | "restarted"; state: AppState | null; supervisor: boolean };

/** Attach to the running preview (answers at once when it is live), or start one and wait for it. */
export async function ensurePreview(ws: Workspace, o: EnsureOptions): Promise<Ensured> {
  let view = readPreview(ws);
  if (view.supervisor && view.state && !o.restart && view.state.status === "live") return { kind: "attached", ...view };
  let kind: "attached" | "started" | "restarted" = "attached";
  let since = view.state?.started_at ?? "";
  if (view.supervisor && o.restart) {
    requestAppRestart(ws, o.by);
    kind = "restarted";
  } else if (!view.supervisor) {
    const detection = detectApp(ws.root, { env: o.env, ...(o.override ? { override: o.override } : {}) });
    if (detection.kind === "none") {
      mkdirSync(ws.appDir, { recursive: true, mode: 0o700 });
      writeJson(ws.appDetection, AppDetection, detection);
      return { kind: "none", detection };
    }
    const spawned = claim(ws, detection, o);
    if (spawned === null) return ensurePreview(ws, { ...o, restart: false });
    kind = "started";
    since = "";
  }
  const deadline = Date.now() + o.waitMs;
  let seen = "";
  for (;;) {
    view = readPreview(ws);
    const state = view.state;
    if (state && `${state.status}${state.updated_at}` !== seen) {
      seen = `${state.status}${state.updated_at}`;
      if (state.started_at !== since || kind === "attached") o.onChange?.(state);
    }
    const fresh = state !== null && (kind === "attached" || state.started_at !== since);
    const settled = fresh && (state.status === "live" || state.status === "stopped" || (state.status === "crashed" && !view.supervisor));
    if (settled || !view.supervisor || Date.now() >= deadline) return { kind, ...view };
    await Bun.sleep(50);
  }
}

/** Spawns the supervisor unless another caller just did (then null): one supervisor per repository. */
function claim(ws: Workspace, detection: AppDetection, o: EnsureOptions): Spawned | null {
  mkdirSync(ws.appDir, { recursive: true, mode: 0o700 });
  return withLock(`${ws.appDir}/supervisor`, () => {
    if (readPreview(ws).supervisor) return null;
    const spawned = o.spawn();
    const now = new Date().toISOString();
    writeJson(ws.appState, AppState, {
      schema_version: 1,
      status: "starting",
      kind: detection.kind,
      framework: detection.framework,
      command: describe(detection),
      supervisor: spawned,
      app_pid: null,
      port: null,
      port_source: null,
      url: null,
      project: null,
      sandboxed: false,
      restarts: 0,
      run_id: null,
      started_at: "",
      live_at: null,
      updated_at: now,
      detail: null,
      log_tail: [],
    });
    return spawned;
  });
}

/** Stops the preview: SIGTERM to its supervisor (which takes the app down), SIGKILL after `graceMs`. */
export async function stopPreview(ws: Workspace, by: string, graceMs = 20_000): Promise<{ was: AppState | null; stopped: boolean }> {
  const { state, supervisor } = readPreview(ws);
  if (!state) return { was: null, stopped: false };
  if (supervisor) {
    // Who stopped it, for the supervisor's last record (a signal carries no words).
    writeFileAtomic(stopByPath(ws), by);
    await signalSaved(state.supervisor.pid, state.supervisor.start, "SIGTERM", { group: false });
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && pidStateSync(state.supervisor.pid, state.supervisor.start) === "same") await Bun.sleep(50);
    if (pidStateSync(state.supervisor.pid, state.supervisor.start) === "same")
      await signalSaved(state.supervisor.pid, state.supervisor.start, "SIGKILL", { group: false });
  }
  // A supervisor killed outright leaves its app behind: its process group (only while the pid is still
  // that app), or its containers.
  if (state.app_pid !== null && state.app_start && pidStateSync(state.app_pid, state.app_start) === "same")
    signalGroup(state.app_pid, "SIGKILL");
  const tidy = readPreview(ws).state;
  // Only loki's own project name for this repository is ever taken down.
  if (state.project === projectName(ws.root) && tidy?.status !== "stopped") await removeProject(ws.root, state.project, process.env);
  // A supervisor that ended before it could record its end (signalled while it was still launching,
  // or killed after the grace) leaves "starting" or "live" behind: the last record says stopped.
  if (tidy && tidy.status !== "stopped" && tidy.status !== "crashed")
    writeJson(ws.appState, AppState, { ...aliveOrStopped(tidy, false), updated_at: new Date().toISOString() }, "process");
  return { was: state, stopped: supervisor };
}

/** Where stopPreview leaves who asked, for the supervisor to read as it stops. */
export const stopByPath = (ws: Workspace) => join(ws.appDir, "stop-by");

export function previewLogs(ws: Workspace, lines: number): string[] {
  return logTail(ws.appLog, lines);
}
