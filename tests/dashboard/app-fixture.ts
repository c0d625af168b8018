// Hand-written .loki/app/ records for the Live App tests: a valid state.json (its supervisor this test
// process unless told otherwise), health lines, a detection, and a pid that is certainly gone.
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AppDetection, AppState, HealthRecord } from "../../src/core/app-schema.ts";
import { processStartSync } from "../../src/core/process-identity.ts";

/** This test process as the app's supervisor: readAppView reads it as alive. */
export const ALIVE = { pid: process.pid, start: processStartSync(process.pid) ?? null };

export function appState(over: Partial<AppState> = {}): AppState {
  return {
    schema_version: 1,
    status: "live",
    kind: "framework",
    framework: "vite",
    command: "npx vite --port {PORT}",
    supervisor: ALIVE,
    app_pid: 4242,
    port: 5173,
    port_source: "env",
    url: "http://127.0.0.1:5173/",
    project: null,
    sandboxed: true,
    restarts: 0,
    run_id: null,
    started_at: "2026-01-01T12:00:00.000Z",
    live_at: "2026-01-01T12:00:02.000Z",
    updated_at: "2026-01-01T12:00:02.000Z",
    detail: null,
    log_tail: [],
    ...over,
  };
}

/** The i-th health record: a second apart from 12:00:00, its detail `probe <i>`. */
export function health(i: number, over: Partial<HealthRecord> = {}): HealthRecord {
  return {
    ts: new Date(Date.parse("2026-01-01T12:00:00.000Z") + i * 1000).toISOString(),
    status: "live",
    url: "http://127.0.0.1:5173/",
    http: 200,
    ms: 12,
    detail: `probe ${i}`,
    run_id: null,
    ...over,
  };
}

export function detection(over: Partial<AppDetection> = {}): AppDetection {
  return {
    schema_version: 1,
    kind: "none",
    framework: null,
    command: null,
    cwd: ".",
    fixed_port: null,
    reason: "no package.json, compose file, Dockerfile or index.html: set app.command in loki.yaml",
    checked: [],
    ...over,
  };
}

/** Writes .loki/app/ files: a state, health records, a detection, or raw file texts by name. */
export function writeApp(
  root: string,
  files: { state?: AppState; health?: HealthRecord[]; detection?: AppDetection; raw?: Record<string, string> },
): void {
  const dir = join(root, ".loki", "app");
  mkdirSync(dir, { recursive: true });
  // Written as the supervisor does (a temp file renamed over), so a watcher sees what it sees in a real run.
  const put = (name: string, text: string) => {
    writeFileSync(join(dir, `${name}.tmp`), text);
    renameSync(join(dir, `${name}.tmp`), join(dir, name));
  };
  if (files.state) put("state.json", JSON.stringify(files.state));
  if (files.health) put("health.jsonl", files.health.map((r) => `${JSON.stringify(r)}\n`).join(""));
  if (files.detection) put("detection.json", JSON.stringify(files.detection));
  for (const [name, text] of Object.entries(files.raw ?? {})) put(name, text);
}

/** The pid of a process that has exited (and been reaped). */
export async function deadPid(): Promise<number> {
  const child = Bun.spawn(["true"]);
  await child.exited;
  return child.pid;
}
