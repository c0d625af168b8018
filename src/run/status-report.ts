// The shape of `loki status`'s report, and the whole report of a repository with no run here or in its
// worktrees, from a few existence checks. Light on purpose (types only from the schemas): the entry
// (src/cli.ts, via commands/instant.ts) answers `loki status --json` with it; run/status.ts reads the rest.
import { existsSync } from "node:fs";
import { absent, workspaceAt } from "../core/paths.ts";
import type { QueueView } from "../core/queue-schema.ts";
import type { Outcome } from "../core/run-schema.ts";
import type { StatusProgress } from "../core/session-schema.ts";

export type Status = "inactive" | "running" | "paused" | "stopping" | "stopped" | "completed" | "failed" | "blocked" | "starting" | "dead";

/** How a run ended — or why its process is gone — where its output is, and what to run next. */
export type RunEnd = {
  /** The finished run's outcome (state/completion.json): `interrupted`, `stalled`, `budget_exceeded`…; null while it runs. */
  outcome: Outcome | null;
  /** Why it ended (the completion's reason), or why a dead run's process is gone (the last error it logged). */
  reason: string | null;
  /** The run's log: a --bg run's own, else .loki/logs/loki.log, else its event stream. */
  log: string | null;
  next: string;
};

export type DelegatedRun = RunEnd & { dir: string; run_id: string; status: string; pid_alive: boolean; spec: string };

export type StatusReport = RunEnd & {
  schema_version: 1;
  status: Status;
  root: string;
  run_id: string | null;
  pid: number | null;
  pid_alive: boolean;
  provider: string | null;
  spec: string | null;
  started_at: string | null;
  updated_at: string | null;
  signals: { pause: boolean; stop: boolean };
  /** Runs delegated to worktrees (--worktree, --pr, --ship, --bg) under .loki/worktrees/. */
  delegated: DelegatedRun[];
  /** Where the run is: iteration, phase, spend — from state/orchestrator.json. */
  progress: StatusProgress | null;
  /** The run's task queue (.loki/queue/): ids, titles and counts; null when it has none (or it is unreadable). */
  queue: QueueView | null;
};

export const START = "loki start ./prd.md (or `loki plan ./prd.md` for a quote first)";

/** The report's fields before a session says more: nothing runs, nothing is known. */
export function emptyStatus(
  root: string,
  signals: StatusReport["signals"],
): Omit<StatusReport, "outcome" | "reason" | "log" | "next" | "delegated"> {
  return {
    schema_version: 1,
    status: "inactive",
    root,
    run_id: null,
    pid: null,
    pid_alive: false,
    provider: null,
    spec: null,
    started_at: null,
    updated_at: null,
    signals,
    progress: null,
    queue: null,
  };
}

/** The whole report for `root` when it has no session and no delegated runs' directory; else null (read it all).
 *  A session file that cannot be looked at (EACCES, ELOOP, .loki not a directory) is not "no session": the
 *  program reads it and says what is wrong. The other checks are the program's own existsSync. */
export function inactiveStatus(root: string): StatusReport | null {
  const ws = workspaceAt(root);
  if (!absent(ws.session) || existsSync(ws.worktrees)) return null;
  const signals = { pause: existsSync(ws.pause), stop: existsSync(ws.stop) };
  return { ...emptyStatus(root, signals), outcome: null, reason: null, log: null, next: START, delegated: [] };
}
