// The snapshot's Live App panel: .loki/app/'s records (core/app-control.ts reads and validates them)
// projected to what the page shows. Only fields of those records, never pids, env or the app's log file;
// the URL the page may frame or link is checked here (and again in the page).
import type { AppKind, AppStatus, HealthRecord } from "../core/app-schema.ts";
import { previewUrl, readAppView } from "../core/app-control.ts";
import type { Workspace } from "../core/workspace.ts";
import { mtimeOf, newest } from "./snapshot-read.ts";

/** The log tail the page shows when the app crashed: its last lines, each cut to a readable length. */
const TAIL_LINES = 200;
const TAIL_LINE_CHARS = 2000;

export type AppPanelState = {
  status: AppStatus;
  kind: AppKind;
  framework: string | null;
  command: string;
  /** What state.json says, shown as text. */
  url: string | null;
  /** The URL as the page may frame and link it (http://127.0.0.1|localhost:<port>/…), else null. */
  frame_url: string | null;
  port: number | null;
  restarts: number;
  sandboxed: boolean;
  run_id: string | null;
  started_at: string;
  live_at: string | null;
  updated_at: string;
  detail: string | null;
  log_tail: string[];
  supervisor_alive: boolean;
};

export type AppPanelView = {
  /** null: no app runs here (no valid state.json). */
  state: AppPanelState | null;
  /** Why this command, or (kind "none") why there is none to run. */
  detection: { kind: AppKind; framework: string | null; reason: string } | null;
  /** The newest status changes, oldest first. */
  health: HealthRecord[];
};

/** The panel's view, or null when .loki/app/ holds neither a state nor a detection. */
export function projectApp(ws: Workspace): AppPanelView | null {
  const view = readAppView(ws);
  if (view.state === null && view.detection === null) return null;
  const s = view.state;
  const state: AppPanelState | null = s && {
    status: s.status,
    kind: s.kind,
    framework: s.framework,
    command: s.command,
    url: s.url,
    frame_url: previewUrl(s.url),
    port: s.port,
    restarts: s.restarts,
    sandboxed: s.sandboxed,
    run_id: s.run_id,
    started_at: s.started_at,
    live_at: s.live_at,
    updated_at: s.updated_at,
    detail: s.detail,
    log_tail: s.log_tail.slice(-TAIL_LINES).map((line) => line.slice(0, TAIL_LINE_CHARS)),
    supervisor_alive: view.supervisor_alive,
  };
  const d = view.detection;
  return { state, detection: d && { kind: d.kind, framework: d.framework, reason: d.reason }, health: view.health };
}

/** When the panel's records last changed. */
export function appAge(ws: Workspace): string | null {
  return newest(mtimeOf(ws.appState), mtimeOf(ws.appHealth), mtimeOf(ws.appDetection));
}
