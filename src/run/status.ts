// Run status derived from .loki/ alone (session, signals, whether the pid lives): no git, no
// network, so `loki status` answers instantly even while a run holds the repository.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { RunProgress, Session, type Session as SessionT } from "../core/session-schema.ts";
import { readJson, workspaceAt } from "../core/workspace.ts";

export type StatusReport = {
  schema_version: 1;
  status: "inactive" | "running" | "paused" | "stopping" | "stopped" | "completed" | "failed" | "blocked" | "starting" | "dead";
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
  delegated: { dir: string; run_id: string; status: string; pid_alive: boolean; spec: string }[];
  /** Where the run is: iteration, phase, spend — from state/orchestrator.json. */
  progress: {
    iteration: number;
    max_iterations: number;
    phase: string;
    model: string;
    spent_usd: number;
    limit_usd: number | null;
    last_verdict: string | null;
    outcome: string | null;
  } | null;
  next: string;
};

export function readStatus(root: string): StatusReport {
  const report = readOwnStatus(root);
  return { ...report, delegated: delegatedRuns(root) };
}

function delegatedRuns(root: string): StatusReport["delegated"] {
  const base = workspaceAt(root).worktrees;
  if (!existsSync(base)) return [];
  return readdirSync(base).flatMap((name) => {
    const dir = join(base, name);
    const session = readJson(workspaceAt(dir).session, Session);
    if (!session) return [];
    const alive = isAlive(session.pid);
    const live = ["starting", "running", "paused", "stopping"].includes(session.status);
    return [{ dir, run_id: session.run_id, status: live && !alive ? "dead" : session.status, pid_alive: alive, spec: session.spec }];
  });
}

function readOwnStatus(root: string): Omit<StatusReport, "delegated"> {
  const ws = workspaceAt(root);
  const session = readJson(ws.session, Session);
  const signals = { pause: existsSync(ws.pause), stop: existsSync(ws.stop) };
  if (!session) return { ...empty(root, signals), next: "loki start ./prd.md (or `loki plan ./prd.md` for a quote first)" };
  const alive = isAlive(session.pid);
  const run = readJson(ws.orchestrator, RunProgress);
  const progress =
    run && run.run_id === session.run_id
      ? {
          iteration: run.iteration,
          max_iterations: run.caps.max_iterations,
          phase: run.phase,
          model: run.model,
          spent_usd: Math.round(run.budget.spent_usd * 10000) / 10000,
          limit_usd: run.budget.limit_usd,
          last_verdict: run.last_verdict,
          outcome: run.outcome,
        }
      : null;
  const live = ["starting", "running", "paused", "stopping"].includes(session.status);
  const status: StatusReport["status"] =
    live && !alive ? "dead" : signals.pause && session.status === "running" ? "paused" : session.status;
  return {
    schema_version: 1,
    status,
    root,
    run_id: session.run_id,
    pid: session.pid,
    pid_alive: alive,
    provider: session.provider,
    spec: session.spec,
    started_at: session.started_at,
    updated_at: session.updated_at,
    signals,
    progress,
    next: nextStep(status, session),
  };
}

function empty(root: string, signals: StatusReport["signals"]): Omit<StatusReport, "next" | "delegated"> {
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
  };
}

function nextStep(status: StatusReport["status"], session: SessionT): string {
  switch (status) {
    case "dead":
      return "the run's process is gone: loki resume";
    case "paused":
      return "loki resume";
    case "running":
    case "starting":
    case "stopping":
      return "loki stop (to end it), or watch with loki status";
    case "completed":
      return `read .loki/COMPLETION.txt; proof: loki proof show ${session.run_id}`;
    default:
      return "loki start ./prd.md for a new run";
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
