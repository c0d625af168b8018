// Executes a prepared run: SIGINT/SIGTERM abort the agent's whole process group and end the loop
// at once with state saved. Whatever the loop does — even throw — the run ends in finishRun: the
// completion summary and the proof are written, and the outcome's exit code is recorded.
import { existsSync } from "node:fs";
import type { Config, ProviderId } from "../core/config.ts";
import { isLokiError, messageOf } from "../core/errors.ts";
import { RUN_EXIT } from "../core/exit-codes.ts";
import { headSha } from "../core/git.ts";
import { releaseRunLock } from "../core/run-lock.ts";
import { fileLogger } from "../core/log.ts";
import { readSubject } from "../gates/diff.ts";
import type { Spec } from "../core/schema.ts";
import type { Completion, LokiEvent, OrchestratorState, Outcome } from "../core/run-schema.ts";
import type { RunStatus } from "../core/session-schema.ts";
import { nextStep, notifyDesktop, writeCompletion } from "./completion.ts";
import type { LoopResult, ReadyProvider, RunSandbox, ToolCall } from "../loop/env.ts";
import { runLoop } from "../loop/loop.ts";
import { ledgerSpend, type RunRecord } from "../loop/run-state.ts";
import type { ShipStage } from "../loop/ship.ts";
import { clearSignal } from "../loop/signals.ts";
import { lastBlockers } from "../loop/stall.ts";
import { trust } from "../loop/trust-sink.ts";
import { writeProof } from "../proof/assemble.ts";

export type Reporter = {
  event: (event: LokiEvent) => void;
  notice: (line: string) => void;
  warn: (line: string) => void;
  close: () => void;
  /** The run's in-memory state from here on (cap, spend, phase): a view reads it, never writes it. */
  follow?: (run: { root: string; state: () => OrchestratorState }) => void;
  /** The build agent's latest tool call, for the live line only: not persisted (agent.jsonl keeps the stream). */
  toolCall?: (call: ToolCall) => void;
};

export type ExecuteInput = {
  record: RunRecord;
  config: Config;
  spec: Spec;
  providers: Map<ProviderId, ReadyProvider>;
  allowRoot: boolean;
  env: Record<string, string | undefined>;
  reporter: Reporter;
  visible: { id: string; text: string }[];
  heldOutCount: number;
  stages: readonly ShipStage[];
  denyRead: string[];
  sandbox: RunSandbox | null;
};

const STATUS: Record<Outcome, RunStatus> = {
  verified: "completed",
  blocked: "blocked",
  error: "failed",
  failed: "failed",
  budget_exceeded: "stopped",
  max_iterations: "stopped",
  max_duration: "stopped",
  stalled: "stopped",
  stopped: "stopped",
  interrupted: "stopped",
};

export async function executeRun(input: ExecuteInput): Promise<Completion> {
  const { record } = input;
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let result: LoopResult;
  input.reporter.follow?.({ root: record.ws.root, state: () => record.state });
  try {
    result = await runLoop({
      ...input,
      signal: controller.signal,
      notice: input.reporter.notice,
      onToolCall: input.reporter.toolCall,
      clock: { now: () => Date.now(), random: Math.random, sleep: (ms, signal) => sleep(ms, signal) },
    });
  } catch (error) {
    result = await loopFailure(record, error);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  // `loki stop` writes STOP and then signals us: that is a clean stop, not an interruption.
  if (result.outcome === "interrupted" && existsSync(record.ws.stop)) result = { outcome: "stopped", reason: "stopped by `loki stop`" };
  return await finishRun(input, result);
}

/** A throw inside the loop is a broken invariant, not a reason to lose the run: the stack goes to the
 *  log, and the run ends as `error` with the message and where the details are. */
async function loopFailure(record: RunRecord, error: unknown): Promise<LoopResult> {
  const where = record.ws.logFile;
  let logged = true;
  try {
    (await fileLogger(where)).error(
      {
        run_id: record.state.run_id,
        iteration: record.state.iteration,
        err: error instanceof Error ? { message: error.message, stack: error.stack } : String(error),
      },
      "the loop failed",
    );
  } catch {
    logged = false;
  }
  const what = isLokiError(error) ? `${error.message}${error.hint ? ` (${error.hint})` : ""}` : `internal error: ${messageOf(error)}`;
  return { outcome: "error", reason: logged ? `${what}; details in ${where}` : what };
}

/** The end of every run: state, completion summary, proof, final event; returns the summary. */
export async function finishRun(input: Pick<ExecuteInput, "record" | "reporter" | "env">, result: LoopResult): Promise<Completion> {
  const { record } = input;
  if (result.outcome === "stopped") clearSignal(record.ws.stop);
  const exitCode = RUN_EXIT[result.outcome];
  record.save({ status: STATUS[result.outcome], outcome: result.outcome, active_call: null });
  const head = await headSha(record.ws.root);
  // The run's final change, derived once for the summary and the proof. A git failure here must not
  // cost the summary: it is warned about, and the proof then records its own failure to derive it.
  const change = await readSubject(record.ws.root, record.state.start_sha, { includeWorktree: false, ...(head ? { head } : {}) }).catch(
    (error: unknown) => {
      input.reporter.warn(`the run's change could not be read: ${messageOf(error)}`);
      return null;
    },
  );
  const spend = ledgerSpend(record.ws, record.state.run_id);
  const completion = writeCompletion(record.ws, {
    run_id: record.state.run_id,
    outcome: result.outcome,
    exit_code: exitCode,
    reason: result.reason,
    start_sha: record.state.start_sha,
    head_sha: head,
    branch: record.state.branch,
    iterations: record.state.iteration,
    diffstat: change?.stat ?? { files: 0, insertions: 0, deletions: 0 },
    cost: { usd: Math.round(spend.usd * 10000) / 10000, basis: spend.basis },
    pr_url: null,
    sandboxed: record.state.sandboxed,
    next: nextStep(result.outcome, {
      startSha: record.state.start_sha,
      branch: record.state.branch,
      spec: record.state.spec.ref,
      blockers: result.outcome === "stalled" ? lastBlockers(record.ws, record.state.iteration, record.state.feedback) : [],
    }),
    finished_at: new Date().toISOString(),
  });
  try {
    const { file } = await writeProof(record.ws, record.state.run_id, change ? { change } : {});
    input.reporter.notice(`proof signed by ${file.provenance.key_fingerprint} (loki proof verify ${record.state.run_id})`);
  } catch (error) {
    input.reporter.warn(`the proof of run could not be written: ${(error as Error).message}`);
  }
  record.emit({ kind: "run_finished", outcome: result.outcome, exit_code: exitCode, reason: result.reason });
  trust(record, "completion", { outcome: result.outcome, iterations: record.state.iteration, usd: completion.cost.usd });
  // A delegated run notifies once delivery is done (with the PR's URL): see deliver.ts.
  if (input.env.LOKI_BACKGROUND === "1" && !existsSync(record.ws.delivery))
    await notifyDesktop(`loki: ${result.outcome}`, `${record.state.spec.title}: ${result.reason}`);
  input.reporter.close();
  await releaseRunLock(record.ws.runLock);
  return completion;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
