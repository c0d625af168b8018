// The proof's Live App section from .loki/app/ (core/app-control.ts reads and validates it): the app of
// this run, or one that was live when the run ended, with its health history. Reading only; not yet
// redacted (assemble.ts's single redaction pass covers it with the rest of the payload).
import { AppStatus, type AppState, type HealthRecord } from "../core/app-schema.ts";
import { readAppHealth, readAppView } from "../core/app-control.ts";
import { PROOF_HEALTH_CAP, type ProofPreview } from "../core/proof-schema.ts";
import type { Completion } from "../core/run-schema.ts";
import type { Workspace } from "../core/workspace.ts";

/** The preview section of run `runId`'s proof, or undefined when the run had no app preview. Never throws. */
export function previewOf(ws: Workspace, runId: string, completion: Pick<Completion, "finished_at" | "app">): ProofPreview | undefined {
  const { state } = readAppView(ws);
  if (state === null) return undefined;
  const all = readAppHealth(ws);
  const health = state.run_id === null ? all : all.filter((record) => record.run_id === state.run_id);
  // The run's own account of its app at the end (completion.json) when it gave one; else the records'.
  const told = AppStatus.safeParse(completion.app?.status);
  const status = told.success ? told.data : statusAt(state, health, completion.finished_at);
  if (state.run_id !== runId && status !== "live") return undefined;
  return {
    url: state.url,
    status,
    kind: state.kind,
    framework: state.framework,
    command: state.command,
    sandboxed: state.sandboxed,
    restarts: state.restarts,
    live_at: state.live_at,
    health: health.slice(-PROOF_HEALTH_CAP),
  };
}

/** The app's status at `at`: the last status change recorded by then; else state.json's, if it had started by then. */
export function statusAt(state: AppState, health: readonly HealthRecord[], at: string): AppStatus {
  const end = Date.parse(at);
  const last = health.findLast((record) => Date.parse(record.ts) <= end);
  if (last) return last.status;
  return Date.parse(state.started_at) <= end ? state.status : "stopped";
}
