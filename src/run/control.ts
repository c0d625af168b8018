// The controls a user has over the run in progress in a repository — pause, un-pause, stop, the model
// for the next iteration, a higher budget cap — as `loki pause|resume|stop` and the dashboard share
// them. Each only leaves a signal or a request in .loki/ (or signals the run's own process, for "stop
// now"); the run applies it at its next boundary. None starts a run, and none can waive a check.
import { usageError } from "../core/errors.ts";
import { switchableModels } from "../core/models.ts";
import { signalSaved } from "../core/process-identity.ts";
import { BudgetRequest, ModelRequest, OrchestratorState } from "../core/run-schema.ts";
import { SCHEMA_VERSION } from "../core/schema.ts";
import { LIVE_STATUSES, Session } from "../core/session-schema.ts";
import { readJson, writeJson, workspaceAt } from "../core/workspace.ts";
import { clearSignal, setSignal } from "../loop/signals.ts";
import { readStatus, type StatusReport } from "./status.ts";

/** The run's model ceiling (max_tier at its start; none recorded: no ceiling). */
/** What the live run on `provider` may switch to: none when it runs models of its own (providers.<id>, the override). */
function choicesFor(root: string, provider: string): string[] {
  let state: OrchestratorState | null = null;
  try {
    state = readJson(workspaceAt(root).orchestrator, OrchestratorState) ?? null;
  } catch {
    state = null;
  }
  const settings = state?.settings;
  const own = settings?.providers?.[provider as keyof NonNullable<typeof settings.providers>];
  if (own?.model || own?.models || (settings?.model_override && settings.endpoints?.[provider])) return [];
  return switchableModels(provider, state?.max_tier ?? "planning");
}

export type ControlAnswer = { ok: true; message: string } | { ok: false; status: 409 | 422; message: string };

/** Live, but for a run already stopping: it takes no more requests. */
const LIVE = LIVE_STATUSES.filter((status) => status !== "stopping");
const refuse = (status: 409 | 422, message: string): ControlAnswer => ({ ok: false, status, message });

/** The repository's run while its process is alive, or why there is none to control. */
async function liveRun(root: string): Promise<StatusReport | ControlAnswer> {
  const status = await readStatus(root);
  if (status.run_id && status.pid_alive && LIVE.includes(status.status)) return status;
  const why = status.run_id
    ? `run ${status.run_id} is ${status.status === "dead" ? "not running (its process is gone)" : status.status}`
    : "no run here";
  return refuse(409, `${why}; continue a stopped run in a terminal with: loki resume`);
}

const isAnswer = (value: StatusReport | ControlAnswer): value is ControlAnswer => "ok" in value;

export async function pauseRun(root: string, by: string): Promise<ControlAnswer> {
  const run = await liveRun(root);
  if (isAnswer(run)) return run;
  setSignal(workspaceAt(root).pause, `paused by ${by}`);
  return { ok: true, message: `run ${run.run_id} will pause at the next iteration boundary` };
}

/** Un-pauses a live run (a dead one is continued by `loki resume` in a terminal, never from here). */
export async function unpauseRun(root: string): Promise<ControlAnswer> {
  const run = await liveRun(root);
  if (isAnswer(run)) return run;
  if (run.status !== "paused" && !run.signals.pause) return refuse(409, `run ${run.run_id} is not paused`);
  clearSignal(workspaceAt(root).pause);
  return { ok: true, message: `run ${run.run_id} continues` };
}

/**
 * "iteration": STOP, which the run obeys after the iteration in progress. "now": STOP, and the run's
 * process group is sent SIGTERM — only while the session's pid still names the run's process — so
 * the agent call in flight ends and the run saves its state (`loki resume` continues it).
 */
export async function stopRun(root: string, mode: "iteration" | "now", by: string): Promise<ControlAnswer> {
  const run = await liveRun(root);
  if (isAnswer(run)) return run;
  const ws = workspaceAt(root);
  setSignal(ws.stop, mode === "now" ? `stopped by ${by} during the iteration` : `stopped by ${by} after the iteration`);
  if (mode === "iteration") return { ok: true, message: `run ${run.run_id} stops after the iteration in progress` };
  const session = readJson(ws.session, Session);
  const sent = session?.run_id === run.run_id ? await signalSaved(session.pid, session.pid_start, "SIGTERM", { group: true }) : "gone";
  if (sent === "reused") return refuse(409, `run ${run.run_id}'s pid now belongs to another process, which was not signalled`);
  return { ok: true, message: `run ${run.run_id} is stopping now` };
}

/** The models the live run's provider can switch to; empty without a live run. */
export async function runModels(root: string): Promise<string[]> {
  const status = await readStatus(root);
  return status.run_id && status.provider && LIVE.includes(status.status) ? choicesFor(root, status.provider) : [];
}

export async function requestModel(root: string, model: string, by: string): Promise<ControlAnswer> {
  const run = await liveRun(root);
  if (isAnswer(run)) return run;
  const choices = choicesFor(root, run.provider ?? "");
  if (!choices.includes(model))
    return refuse(
      422,
      choices.length === 0
        ? `run ${run.run_id} runs ${run.provider}'s own models (providers.${run.provider} or LOKI_MODEL_OVERRIDE): there is no model to switch to`
        : `${model} is not a model ${run.provider} runs here under its max_tier (one of: ${choices.join(", ")})`,
    );
  if (run.progress?.model === model) return refuse(409, `run ${run.run_id} already runs ${model}`);
  writeJson(workspaceAt(root).modelRequest, ModelRequest, {
    schema_version: SCHEMA_VERSION,
    run_id: run.run_id ?? "",
    model,
    requested_at: new Date().toISOString(),
    by,
  });
  return { ok: true, message: `the next iteration of run ${run.run_id} runs ${model}` };
}

export async function requestBudget(root: string, limitUsd: number, by: string): Promise<ControlAnswer> {
  if (!Number.isFinite(limitUsd) || limitUsd <= 0) return refuse(422, "the budget cap must be a positive number of US dollars");
  const run = await liveRun(root);
  if (isAnswer(run)) return run;
  const limit = run.progress?.limit_usd ?? null;
  if (limit === null) return refuse(409, `run ${run.run_id} has no budget cap to raise`);
  if (limitUsd <= limit) return refuse(422, `$${limitUsd.toFixed(2)} is not above the cap of $${limit.toFixed(2)}`);
  writeJson(workspaceAt(root).budgetRequest, BudgetRequest, {
    schema_version: SCHEMA_VERSION,
    run_id: run.run_id ?? "",
    limit_usd: limitUsd,
    requested_at: new Date().toISOString(),
    by,
  });
  return { ok: true, message: `run ${run.run_id}'s cap becomes $${limitUsd.toFixed(2)} at its next boundary` };
}

/** For the CLI: an answer that refused becomes the usage error `loki status` helps with. */
export function orThrow(answer: ControlAnswer): string {
  if (!answer.ok) throw usageError(answer.message, { hint: "see `loki status`" });
  return answer.message;
}
