// Executes a prepared run: SIGINT/SIGTERM abort the agent's whole process group and end the loop
// at once with state saved. Whatever the loop does — even throw — the run ends in finishRun: the
// completion summary and the proof are written, and the outcome's exit code is recorded. Every
// child the run starts meanwhile is recorded while it runs (children.ts), for a resume to reap.
import { existsSync } from "node:fs";
import type { Config, ProviderId } from "../core/config.ts";
import { isLokiError, messageOf } from "../core/errors.ts";
import { watchSpawns } from "../core/exec.ts";
import { fileLogger } from "../core/log.ts";
import type { Spec } from "../core/schema.ts";
import type { Completion, LokiEvent, OrchestratorState } from "../core/run-schema.ts";
import type { LoopResult, ReadyProvider, RunSandbox, ToolCall } from "../loop/env.ts";
import { runLoop } from "../loop/loop.ts";
import type { RunRecord } from "../loop/run-state.ts";
import type { ShipStage } from "../loop/ship.ts";
import { signalReason } from "../loop/signals.ts";
import { trackChildren } from "./children.ts";
import { finishRun } from "./finish.ts";
import { previewEnabled, runApp } from "./preview.ts";

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

export async function executeRun(input: ExecuteInput): Promise<Completion> {
  return await withTrackedChildren(input.record, () => executeTracked(input));
}

/** Run `work` with every child it starts recorded in .loki/state/children.json while it runs. */
export async function withTrackedChildren<T>(record: RunRecord, work: () => Promise<T>): Promise<T> {
  const children = trackChildren(record.ws);
  try {
    return await watchSpawns(children, work);
  } finally {
    try {
      children.close();
    } catch {
      // the record only lists children already gone: a resume finds none of them alive
    }
  }
}

async function executeTracked(input: ExecuteInput): Promise<Completion> {
  const { record } = input;
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let result: LoopResult;
  const app = previewEnabled(input.config, input.env)
    ? runApp(record.ws, input.config, input.env, record.state.run_id, input.sandbox !== null, input.reporter.warn)
    : undefined;
  input.reporter.follow?.({ root: record.ws.root, state: () => record.state });
  try {
    result = await runLoop({
      ...input,
      signal: controller.signal,
      notice: input.reporter.notice,
      onToolCall: input.reporter.toolCall,
      ...(app ? { app } : {}),
      clock: { now: () => Date.now(), random: Math.random, sleep: (ms, signal) => sleep(ms, signal) },
    });
  } catch (error) {
    result = await loopFailure(record, error);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  // `loki stop` writes STOP and then signals us: that is a clean stop, not an interruption.
  if (result.outcome === "interrupted" && existsSync(record.ws.stop))
    result = { outcome: "stopped", reason: signalReason(record.ws.stop) ?? "stopped by `loki stop`" };
  return await finishRun({ ...input, ...(app ? { app } : {}) }, result);
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
