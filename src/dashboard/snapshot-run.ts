// The status strip and the outcome card: `loki status`'s answer cut to the fields the page shows, the
// run's identity and progress from its loop state, and the completion summary with its proof link.
// Pure projections, but for the status call itself (deps) and the proof page's existence check.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Completion, LokiEvent, OrchestratorState } from "../core/run-schema.ts";
import type { Session } from "../core/session-schema.ts";
import type { Workspace } from "../core/workspace.ts";
import type { DashboardDeps, RunStatusView } from "./deps.ts";

export type RunView = {
  run_id: string;
  spec_title: string;
  provider: string;
  model: string;
  iteration: number;
  max_iterations: number;
  phase: string;
  /** The session's start, else the run's first run_started event; null when neither is there. */
  started_at: string | null;
  /** Active time as of the loop's last state write (a dead run's downtime does not count). */
  elapsed_ms: number;
  max_duration_s: number | null;
  sandboxed: boolean;
  start_sha: string;
  branch: string | null;
};

export type OutcomeView = {
  outcome: string;
  exit_code: number;
  reason: string;
  next: string;
  finished_at: string;
  pr_url: string | null;
  proof: { run_id: string; url: "/proof" } | null;
};

/** `loki status` (deps) cut to RunStatusView — its other fields (root, pid, log paths) are not sent.
 *  A status that cannot be read (a corrupt session.json) is "unknown", not a failed snapshot. */
export async function projectStatus(root: string, deps: DashboardDeps): Promise<RunStatusView> {
  let s: RunStatusView;
  try {
    s = await deps.status(root);
  } catch (error) {
    return unknownStatus(error instanceof Error ? error.message : String(error));
  }
  return {
    status: s.status,
    run_id: s.run_id,
    pid_alive: s.pid_alive,
    provider: s.provider,
    spec: s.spec,
    started_at: s.started_at,
    updated_at: s.updated_at,
    signals: { pause: s.signals.pause, stop: s.signals.stop },
    outcome: s.outcome,
    reason: s.reason,
    next: s.next,
    progress: s.progress ? { ...s.progress } : null,
  };
}

function unknownStatus(why: string): RunStatusView {
  return {
    status: "unknown",
    run_id: null,
    pid_alive: false,
    provider: null,
    spec: null,
    started_at: null,
    updated_at: null,
    signals: { pause: false, stop: false },
    outcome: null,
    reason: `the run's status could not be read: ${why}`,
    next: "loki status",
    progress: null,
  };
}

export function projectRun(state: OrchestratorState, session: Session | null, events: readonly LokiEvent[]): RunView {
  const started =
    session?.run_id === state.run_id ? session.started_at : events.find((e) => e.kind === "run_started" && e.run_id === state.run_id)?.ts;
  return {
    run_id: state.run_id,
    spec_title: state.spec.title,
    provider: state.provider,
    model: state.model,
    iteration: state.iteration,
    max_iterations: state.caps.max_iterations,
    phase: state.phase,
    started_at: started ?? null,
    elapsed_ms: state.elapsed_ms,
    max_duration_s: state.caps.max_duration_s,
    sandboxed: state.sandboxed,
    start_sha: state.start_sha,
    branch: state.branch,
  };
}

/** The completion summary; the proof link only when the run's proof page is there to serve. */
export function projectOutcome(ws: Workspace, completion: Completion): OutcomeView {
  const safeId = /^[A-Za-z0-9_-]{1,64}$/.test(completion.run_id);
  const page = safeId && existsSync(join(ws.proof(completion.run_id), "index.html"));
  return {
    outcome: completion.outcome,
    exit_code: completion.exit_code,
    reason: completion.reason,
    next: completion.next,
    finished_at: completion.finished_at,
    pr_url: completion.pr_url,
    proof: page ? { run_id: completion.run_id, url: "/proof" } : null,
  };
}
