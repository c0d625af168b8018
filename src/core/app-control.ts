// The Live App Preview's shared records outside the supervisor: a restart request left in
// .loki/control/app-restart.json (written atomically, claimed once by a rename), and the read side of
// .loki/app/ (state, health, detection) validated, with a state whose supervisor is gone read as stopped.
// Never starts, signals or stops anything: the supervisor (src/app/) acts on what it claims here.
import { closeSync, fstatSync, openSync, readSync, renameSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { lazySchema } from "./lazy-schema.ts";
import { AppDetection, AppState, HealthRecord } from "./app-schema.ts";
import { pidStateSync, processStartSync } from "./process-identity.ts";
import { readJson, writeJson, type Workspace } from "./workspace.ts";

// Its own schema_version and time types (not schema.ts's): `loki status` reads the app view, and must
// not build every schema loki has to start.
const SCHEMA_VERSION = 1 as const;
export const AppRestartRequest = lazySchema(() =>
  z.object({ schema_version: z.literal(SCHEMA_VERSION), requested_at: z.string().min(1), by: z.string().min(1).max(200) }).strict(),
);
export type AppRestartRequest = z.infer<typeof AppRestartRequest>;

/** What a state that still claims a running app says when its supervisor is gone. */
export const SUPERVISOR_GONE = "the preview's supervisor is not running (loki preview to start it)";

/** How many health records the view carries (the newest). */
export const VIEW_HEALTH = 50;
/** health.jsonl is read from at most its last this many bytes: a flapping app cannot make a read slow. */
const HEALTH_TAIL_BYTES = 4 * 1024 * 1024;

/** Leaves a restart request for the supervisor; a newer request replaces one not yet claimed. */
export function requestAppRestart(ws: Workspace, by: string): AppRestartRequest {
  return writeJson(ws.appRestart, AppRestartRequest, { schema_version: SCHEMA_VERSION, requested_at: new Date().toISOString(), by });
}

/**
 * Claims the waiting restart request, if any: renamed to a name of this caller's own first, so of two
 * readers only one gets it (one request, one restart). A file that is not a valid request is removed
 * and reads as null, as does none.
 */
export function takeAppRestart(ws: Workspace): { requested_at: string; by: string } | null {
  const claimed = `${ws.appRestart}.${process.pid}.${randomBytes(6).toString("hex")}.taken`;
  try {
    renameSync(ws.appRestart, claimed);
  } catch {
    return null;
  }
  let request: AppRestartRequest | undefined;
  try {
    request = readJson(claimed, AppRestartRequest);
  } catch {
    request = undefined;
  } finally {
    rmSync(claimed, { force: true });
  }
  return request ? { requested_at: request.requested_at, by: request.by } : null;
}

export type AppView = {
  /** state.json, validated; a starting/live/unhealthy state whose supervisor is gone reads as stopped. */
  state: AppState | null;
  /** Whether state.json's supervisor is the process that wrote it and still runs. */
  supervisor_alive: boolean;
  /** The newest VIEW_HEALTH records of health.jsonl, oldest first. */
  health: HealthRecord[];
  detection: AppDetection | null;
};

/** What .loki/app/ says now. Never throws: a missing or invalid file is null (or no records). */
/**
 * Whether the state's supervisor is the process that wrote it and still runs. Where process start
 * times exist (Linux), a record without one names no process loki started: never alive.
 */
export function supervisorAlive(state: AppState): boolean {
  if (state.supervisor.start === null && processStartSync(process.pid) !== undefined) return false;
  return pidStateSync(state.supervisor.pid, state.supervisor.start) === "same";
}

export function readAppView(ws: Workspace): AppView {
  const raw = readQuiet(ws.appState, AppState);
  const alive = raw !== null && supervisorAlive(raw);
  return {
    state: raw === null ? null : aliveOrStopped(raw, alive),
    supervisor_alive: alive,
    health: readAppHealth(ws).slice(-VIEW_HEALTH),
    detection: readQuiet(ws.appDetection, AppDetection),
  };
}

/** A state that says the app runs, from a supervisor that does not: stopped, and why. */
export function aliveOrStopped(state: AppState, supervisorAlive: boolean): AppState {
  if (supervisorAlive || state.status === "crashed" || state.status === "stopped") return state;
  return { ...state, status: "stopped", detail: SUPERVISOR_GONE };
}

/** Every valid record of health.jsonl (its last HEALTH_TAIL_BYTES), oldest first; `runId` keeps one run's. */
export function readAppHealth(ws: Workspace, options: { runId?: string } = {}): HealthRecord[] {
  const records: HealthRecord[] = [];
  for (const line of tailLines(ws.appHealth, HEALTH_TAIL_BYTES)) {
    if (line.trim() === "") continue;
    try {
      const parsed = HealthRecord.safeParse(JSON.parse(line));
      if (parsed.success && (options.runId === undefined || parsed.data.run_id === options.runId)) records.push(parsed.data);
    } catch {
      // a torn line (the supervisor mid-append): skipped
    }
  }
  return records;
}

/**
 * The app's URL when it may be framed or linked: http on 127.0.0.1 or localhost, an explicit port, no
 * credentials; rebuilt from its parts. Anything else is null (shown as text, never framed or opened).
 */
export function previewUrl(url: string | null | undefined): string | null {
  if (typeof url !== "string" || url.length > 2048) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== "http:" || (parsed.hostname !== "127.0.0.1" && parsed.hostname !== "localhost")) return null;
  if (parsed.port === "" || parsed.username !== "" || parsed.password !== "") return null;
  return `http://${parsed.hostname}:${parsed.port}${parsed.pathname}${parsed.search}`;
}

function readQuiet<S extends z.ZodType>(path: string, schema: S): z.output<S> | null {
  try {
    return readJson(path, schema) ?? null;
  } catch {
    return null;
  }
}

/** The file's complete lines within its last `cap` bytes (a first line cut by the cap is dropped). */
function tailLines(path: string, cap: number): string[] {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return [];
  }
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - cap);
    const buffer = Buffer.alloc(size - start);
    let got = 0;
    while (got < buffer.length) {
      const n = readSync(fd, buffer, got, buffer.length - got, start + got);
      if (n <= 0) break;
      got += n;
    }
    const lines = buffer.toString("utf8", 0, got).split("\n");
    return start > 0 ? lines.slice(1) : lines;
  } catch {
    return [];
  } finally {
    closeSync(fd);
  }
}
