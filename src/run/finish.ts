// The end of every run, in an order a kill -9 cannot break: the completion summary (the proof is
// assembled from it), the proof, then the state and session that say the run finished, then the
// run_finished event. `loki resume` finds an end that was cut short (unfinishedEnd) and runs it again.
import { releaseRunLock } from "../core/run-lock.ts";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { messageOf } from "../core/errors.ts";
import { readQueueView } from "../core/queue.ts";
import { RUN_EXIT } from "../core/exit-codes.ts";
import { headSha } from "../core/git.ts";
import { Completion, LokiEvent, type OrchestratorState, type Outcome } from "../core/run-schema.ts";
import type { RunStatus } from "../core/session-schema.ts";
import { readJson, readJsonl, syncOwedTogether, writeFileAtomic, type Workspace } from "../core/workspace.ts";
import { readSubject } from "../gates/diff.ts";
import type { LoopResult } from "../loop/env.ts";
import { ledgerSpend, type RunRecord } from "../loop/run-state.ts";
import { clearSignal } from "../loop/signals.ts";
import { lastBlockers } from "../loop/stall.ts";
import { trust } from "../loop/trust-sink.ts";
import { holdAt } from "../loop/hold.ts";
import { writeProof } from "../proof/assemble.ts";
import { writeRunReports } from "../verify/evidence.ts";
import { runMemory } from "../memory/stats.ts";
import { deadLetterSummary, nextStep, notifyDesktop, writeCompletion } from "./completion.ts";
import type { RunApp } from "./preview.ts";
import { lazySchema } from "../core/lazy-schema.ts";

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

export type FinishInput = {
  record: RunRecord;
  /** The run's Live App Preview (run/preview.ts); absent when the run does not start the app. */
  app?: RunApp;
  reporter: { notice: (line: string) => void; warn: (line: string) => void; close: () => void };
  env: Record<string, string | undefined>;
};

/** The end of every run: summary, proof, state, final event — in that order; returns the summary. */
export async function finishRun(input: FinishInput, result: LoopResult): Promise<Completion> {
  const { record, env } = input;
  // What the loop left owed is on disk before the run's end is written: the end's own order below holds.
  await syncOwedTogether();
  if (result.outcome === "stopped") clearSignal(record.ws.stop);
  const exitCode = RUN_EXIT[result.outcome];
  await holdAt("finish:completion", record.ws, env);
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
  const app = await finalApp(input, result);
  // The loop wrote only evidence.json: its reports follow it here, before the summary says the run ended.
  try {
    writeRunReports(record.ws, record.state.run_id, "boundary");
  } catch (error) {
    input.reporter.warn(`the run's reports could not be written: ${messageOf(error)}`);
  }
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
    ...(app ? { app } : {}),
    ...deadLetterSummary(record),
    next: nextStep(result.outcome, {
      startSha: record.state.start_sha,
      branch: record.state.branch,
      spec: record.state.spec.ref,
      blockers: result.outcome === "stalled" ? lastBlockers(record.ws, record.state.iteration, record.state.feedback) : [],
    }),
    finished_at: new Date().toISOString(),
  });
  await holdAt("finish:proof", record.ws, env);
  try {
    const memory = runMemory(record.ws, record.state.run_id);
    const proofMemory = memory && { given: memory.given, failures: memory.failures, repeats: memory.repeats, hit_again: memory.hit_again };
    const queue = readQueueView(record.ws, record.state.run_id);
    const { file } = await writeProof(record.ws, record.state.run_id, {
      ...(change ? { change } : {}),
      ...(proofMemory ? { memory: proofMemory } : {}),
      ...(queue ? { queue } : {}),
    });
    input.reporter.notice(`proof signed by ${file.provenance.key_fingerprint} (loki proof verify ${record.state.run_id})`);
  } catch (error) {
    input.reporter.warn(`the proof of run could not be written: ${(error as Error).message}`);
  }
  await holdAt("finish:state", record.ws, env);
  record.save({ status: STATUS[result.outcome], outcome: result.outcome, active_call: null });
  await holdAt("finish:event", record.ws, env);
  trust(record, "completion", { outcome: result.outcome, iterations: record.state.iteration, usd: completion.cost.usd });
  record.emit({ kind: "run_finished", outcome: result.outcome, exit_code: exitCode, reason: result.reason });
  // A delegated run notifies once delivery is done (with the PR's URL): see deliver.ts.
  if (env.LOKI_BACKGROUND === "1" && !existsSync(record.ws.delivery))
    await notifyDesktop(`loki: ${result.outcome}`, `${record.state.spec.title}: ${result.reason}`);
  input.reporter.close();
  // Last: the next run may start only once this one's end is all on disk.
  await syncOwedTogether();
  await releaseRunLock(record.ws.runLock);
  return completion;
}

/** The app at the end of the run, for the summary and the proof; a preview that fails costs only a warning. */
async function finalApp(input: FinishInput, result: LoopResult): Promise<Completion["app"]> {
  if (!input.app) return undefined;
  try {
    const state = await input.app.finish(result.outcome);
    return state ? { status: state.status, url: state.url, detail: state.detail } : undefined;
  } catch (error) {
    input.reporter.warn(`the app preview could not start: ${messageOf(error)}`);
    return undefined;
  }
}

const ProofStamp = lazySchema(() => z.object({ payload: z.object({ run: z.object({ id: z.string(), finished_at: z.string() }) }) }));

/**
 * The end a run had decided on but not finished writing when loki died, for `loki resume` to finish:
 * a summary of the current leg (since its last run_started) with the state not yet saying so, or a
 * verified ship gate with none; a state that says finished without its run_finished event; or a
 * verified run without its proof.
 * null when the run's end is whole, or when it has not ended.
 */
export function unfinishedEnd(ws: Workspace, state: OrchestratorState): LoopResult | null {
  const events = readJsonl(ws.events, LokiEvent, () => {}).filter((e) => e.run_id === state.run_id);
  const legStart = events.findLast((e) => e.kind === "run_started")?.ts ?? "";
  // ISO timestamps of one format compare as strings.
  const ofLeg = (ts: string) => ts >= legStart;
  const summary = readOptional(() => readJson(ws.completion, Completion));
  const completion = summary?.run_id === state.run_id && ofLeg(summary.finished_at) ? summary : null;
  if (state.outcome === null) {
    if (completion) return { outcome: completion.outcome, reason: completion.reason };
    // The loop saves a VERIFIED ship gate and returns at once (loop.ts): killed before the summary,
    // the run is verified all the same — redoing it would only pay the agent and council again. Only
    // when that gate is this leg's last, of the iteration the state ends on: last_verdict outlives a
    // redone iteration or a resumed blocked run, which no gate graded since.
    const lastShip = events.findLast((e) => e.kind === "ship_gate" && ofLeg(e.ts));
    const gradedLast = lastShip?.kind === "ship_gate" && lastShip.verdict === "VERIFIED" && lastShip.iteration === state.iteration;
    if (state.phase === "done" && state.last_verdict === "VERIFIED" && gradedLast)
      return {
        outcome: "verified",
        reason: "every ship-gate stage verified; loki was killed before it wrote the run's end, and loki resume wrote it",
      };
    return null;
  }
  const announced = events.some((e) => e.kind === "run_finished" && ofLeg(e.ts));
  const proved = completion !== null && proofFinishedAt(ws, state.run_id) === completion.finished_at;
  if (announced && (proved || state.outcome !== "verified")) return null;
  return {
    outcome: completion?.outcome ?? state.outcome,
    reason:
      completion?.reason ??
      `the run ended ${state.outcome.replaceAll("_", " ")}; loki was killed while finishing it, and loki resume completed its summary and proof`,
  };
}

/** When the run's proof.json says the run finished (its summary's finished_at); null without a readable proof. */
function proofFinishedAt(ws: Workspace, runId: string): string | null {
  const proof = readOptional(() => ProofStamp.parse(JSON.parse(readFileSync(join(ws.proof(runId), "proof.json"), "utf8"))));
  return proof?.payload.run.id === runId ? proof.payload.run.finished_at : null;
}

function readOptional<T>(read: () => T | undefined): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}
