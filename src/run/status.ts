// Run status derived from .loki/ alone (session, state, completion summary, the run's task queue, the
// run's log tail, whether the session's pid is still the run's process — not one that reused the number):
// no git, no network, so `loki status` answers instantly even mid-run. A
// finished run's next step is its completion summary's; a dead run says why, where its log is and what to run.
import { existsSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { pidState, type PidState } from "../core/process-identity.ts";
import { readQueueView } from "../core/queue.ts";
import { Outcome } from "../core/run-schema.ts";
import { LIVE_STATUSES, RunEnding, RunProgress, Session } from "../core/session-schema.ts";
import { readJson, workspaceAt, type Workspace } from "../core/workspace.ts";
import { nextStep } from "./completion.ts";
import { readLogTail, runLogPath } from "./run-log.ts";
import { emptyStatus, START, type DelegatedRun, type RunEnd, type Status, type StatusReport } from "./status-report.ts";

export type { DelegatedRun, RunEnd, StatusReport };

export async function readStatus(root: string): Promise<StatusReport> {
  const own = await readOwnStatus(root);
  const delegated = await delegatedRuns(root);
  // From the checkout, pause/stop/resume reach its one delegated run: its next step is this one's.
  const only = own.status === "inactive" && delegated.length === 1 ? delegated[0] : undefined;
  return { ...own, delegated, next: only?.next ?? own.next };
}

async function delegatedRuns(root: string): Promise<DelegatedRun[]> {
  const base = workspaceAt(root).worktrees;
  if (!existsSync(base)) return [];
  const all = await Promise.all(readdirSync(base).map((name) => readOwnStatus(join(base, name))));
  const runs = all.flatMap((run) => {
    if (run.run_id === null) return [];
    const { status, run_id, pid_alive, spec, outcome, reason, log, next } = run;
    return [{ dir: run.root, run_id, status, pid_alive, spec: spec ?? "", outcome, reason, log, next }];
  });
  // With several, the commands act on one only from inside its worktree.
  return runs.length > 1 ? runs.map((run) => ({ ...run, next: `cd ${relative(root, run.dir)} && ${run.next}` })) : runs;
}

async function readOwnStatus(root: string): Promise<Omit<StatusReport, "delegated">> {
  const ws = workspaceAt(root);
  const session = readJson(ws.session, Session);
  const signals = { pause: existsSync(ws.pause), stop: existsSync(ws.stop) };
  if (!session) return { ...emptyStatus(root, signals), outcome: null, reason: null, log: null, next: START };
  // The session's pid is the run only while it names the process that wrote it.
  const pid = await pidState(session.pid, session.pid_start);
  const alive = pid === "same";
  const saved = readJson(ws.orchestrator, RunProgress);
  const run = saved && saved.run_id === session.run_id ? saved : null;
  const progress = run
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
  const status: Status =
    LIVE_STATUSES.includes(session.status) && !alive ? "dead" : signals.pause && session.status === "running" ? "paused" : session.status;
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
    queue: readQueueView(ws, session.run_id),
    ...runEnd(ws, session, status, run, pid),
  };
}

/** The run's ending as its completion summary tells it, or a dead run's as its log does. */
function runEnd(ws: Workspace, session: Session, status: Status, run: RunProgress | null, pid: PidState): RunEnd {
  const log = runLogPath(ws, session.run_id);
  const summary = readJson(ws.completion, RunEnding);
  // A summary from before a resume is not this run's ending (a resume clears the state's outcome).
  const done = summary && summary.run_id === session.run_id && (!run || run.outcome === summary.outcome) ? summary : null;
  const outcome = Outcome.safeParse(done?.outcome ?? run?.outcome).data ?? null;
  if (status === "dead") return deadEnd(ws, session, run, { outcome, done, log, reused: pid === "reused" });
  if (LIVE_STATUSES.includes(status))
    return {
      outcome: null,
      reason: null,
      log,
      next: status === "paused" ? "loki resume" : "loki stop (to end it), or watch with loki status",
    };
  const next =
    done?.next ??
    (outcome && run?.start_sha
      ? nextStep(outcome, { startSha: run.start_sha, branch: run.branch ?? null, spec: run.spec?.ref ?? session.spec })
      : START);
  return { outcome, reason: done?.reason ?? null, log, next };
}

/** A run whose process is gone without ending it: the last error it logged, else where it was. */
function deadEnd(
  ws: Workspace,
  session: Session,
  run: RunProgress | null,
  end: { outcome: Outcome | null; done: RunEnding | null; log: string | null; reused: boolean },
): RunEnd {
  const own = ws.runLog(session.run_id);
  const tail = end.log === own ? readLogTail(own) : null;
  // Only what the log says since the session's last update is about this death (a resume appends to it).
  const fresh = tail && tail.modifiedMs + 1000 >= Date.parse(session.updated_at) ? tail : null;
  const where = run ? ` in iteration ${run.iteration} (${run.phase})` : "";
  const reason =
    fresh?.error ??
    end.done?.reason ??
    `its process (pid ${session.pid}${end.reused ? ", now another process's" : ""}) ended without finishing the run — killed, or crashed —${where}${fresh?.last ? `; its log ends: ${fresh.last}` : ""}`;
  const next = fresh?.error
    ? `${fresh.hint ? `${fresh.hint}; then ` : "fix that, then "}continue it: loki resume`
    : (end.done?.next ?? "continue it from its saved state: loki resume");
  return { outcome: end.outcome, reason, log: end.log, next };
}
