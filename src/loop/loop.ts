// The RARV-C state machine, the only orchestrator: boundaries (signals, caps, budget), then one
// iteration at a time (iteration.ts), then the ship gate when the agent claims done or all is green.
// Caps are loki's, never the agent's: every path through the loop ends in a bounded number of steps.
import type { LoopEnv, LoopResult } from "./env.ts";
import { budgetReason } from "./budget.ts";
import { nextCall } from "./spend.ts";
import { runIteration } from "./iteration.ts";
import { writeRunEvidence } from "./verify.ts";
import { reviewAgent } from "./review-agent.ts";
import { guardIntegrity } from "./integrity.ts";
import { runShipGate } from "./ship.ts";
import { heldOutStoreProblem } from "../spec/heldout-store.ts";
import { trustSink } from "./trust-sink.ts";
import { clearSignal, doneSignalPath, readSignals, signalReason } from "./signals.ts";
import { lastBlockers, stallReason } from "./stall.ts";
import { applyRequests } from "./requests.ts";
import { configLevers } from "../core/models.ts";
import { ensureQueue } from "./planner.ts";
import { deadLetters, replan } from "./tasks.ts";
import { withDeadLetterStage } from "./ship-items.ts";
import { heldOutSeal } from "./heldout-seal.ts";
import { headSha } from "../core/git.ts";
import { syncOwed, syncOwedTogether } from "../core/workspace.ts";
import { holdAt } from "./hold.ts";

const PAUSE_POLL_MS = 500;

export async function runLoop(env: LoopEnv): Promise<LoopResult> {
  const { record, clock } = env;
  const sessionStart = clock.now();
  const elapsedBefore = record.state.elapsed_ms;
  const elapsed = () => elapsedBefore + (clock.now() - sessionStart);
  const remainingMs = () => (record.state.caps.max_duration_s === null ? null : record.state.caps.max_duration_s * 1000 - elapsed());
  record.save({ status: "running" });
  // The task queue first: a planning pass for a standard or complex spec (once; a resume finds it).
  const stop = await checkBoundary(env, remainingMs);
  if (!stop) await ensureQueue(env);
  const result = stop ?? (await loopSteps(env, elapsed, remainingMs));
  // The last iteration's time counts too: a resume's time cap and the dashboard read it.
  record.save({ elapsed_ms: elapsed() });
  return result;
}

async function loopSteps(env: LoopEnv, elapsed: () => number, remainingMs: () => number | null): Promise<LoopResult> {
  const { record } = env;
  for (;;) {
    const boundary = await checkBoundary(env, remainingMs);
    if (boundary) return boundary;
    const redo = record.state.phase !== "done" && record.state.phase !== "starting" && record.state.iteration > 0;
    // The time so far with it: a boundary that ends the run instead has runLoop save it.
    record.save({ elapsed_ms: elapsed(), iteration: redo ? record.state.iteration : record.state.iteration + 1, phase: "reason" });
    // The iteration boundary: everything written so far, this save too, is on disk before the iteration
    // touches the repository. A power loss from here on takes the run's record back no further than
    // this point, and a resume redoes the iteration (run-state.ts says which saves may wait for it).
    await syncOwedTogether();
    record.emit({ kind: "iteration_started" });

    const step = await runIteration(env, remainingMs);
    if (step.stop) return step.stop;
    if (step.ship) {
      record.save({ phase: "ship" });
      clearSignal(doneSignalPath(record.ws));
      // A grader swapped since the last agent call is a violation before the ship gate reads them.
      guardIntegrity(record, "ship gate");
      const ship = await runShipGate(withDeadLetterStage(env.stages, deadLetters(env).length > 0, env.config.heldout), {
        ws: record.ws,
        runId: record.state.run_id,
        iteration: record.state.iteration,
        change: step.ship.change,
        spec: env.spec,
        gates: step.gates,
        violations: record.state.violations,
        sandbox: env.sandbox,
        agent: reviewAgent(env),
        trust: trustSink(env),
        env: env.env,
        signal: env.signal,
      });
      record.emit({ kind: "ship_gate", verdict: ship.verdict, reasons: ship.reasons, trigger: step.ship.trigger });
      writeRunEvidence(
        record,
        step.ship.change,
        step.gates,
        ship,
        ship.stages.filter((stage) => stage.id !== "gates"),
      );
      if (ship.budget) return { outcome: "budget_exceeded", reason: ship.budget };
      if (ship.fatal) return { outcome: "error", reason: ship.fatal };
      // The council saw every item: what the next prompts and tasks keep of its reasons names no held-out one.
      const seal = heldOutSeal(record.ws, record.state.run_id);
      const reasons = ship.reasons.map(seal);
      record.save({
        last_verdict: ship.verdict,
        feedback: ship.verdict === "VERIFIED" ? [] : [...reasons, ...record.state.feedback].slice(0, 20),
      });
      // What was graded is what ends the run: a graded command (the project's tests, which the agent
      // wrote) that moved the branch meanwhile would have its own commit signed and delivered.
      const moved = ship.verdict === "VERIFIED" ? await movedSinceGraded(record.ws.root, step.ship.change.head) : null;
      if (moved) {
        record.save({ violations: [...record.state.violations, moved] });
        return { outcome: "blocked", reason: moved };
      }
      if (ship.verdict === "VERIFIED") {
        record.save({ phase: "done" });
        return { outcome: "verified", reason: `every ship-gate stage verified (${ship.stages.map((s) => s.id).join(", ")})` };
      }
      // What the gate found becomes the next tasks (never an item's text: the reasons name categories).
      replan(env, reasons);
      await env.app?.afterIteration(true);
    }
    if (record.state.stagnation.count >= env.config.stagnation_limit) {
      record.emit({ kind: "stalled", count: record.state.stagnation.count });
      record.save({ phase: "done" });
      const blockers = lastBlockers(record.ws, record.state.iteration, record.state.feedback);
      return { outcome: "stalled", reason: stallReason(record.state.stagnation.count, blockers) };
    }
    // The iteration's end, with the time so far, goes with the save that follows at the boundary — the
    // next iteration's start, a pause (a kill while paused keeps it), or the run's end (runLoop).
    const end = { phase: "done" as const, elapsed_ms: elapsed() };
    // After a ship gate, saved at once: a kill before the next save would have the gate run again too.
    if (step.ship) record.save(end);
    else record.stage(end);
    await holdAt("loop:iteration-end", record.ws, env.env);
  }
}

/** Between iterations: requests (model, budget), STOP, PAUSE (waits), interruption, caps and budget, in that order. */
async function checkBoundary(env: LoopEnv, remainingMs: () => number | null): Promise<LoopResult | undefined> {
  const { record } = env;
  if (env.signal.aborted) return { outcome: "interrupted", reason: "interrupted; state saved" };
  applyRequests(record, { levers: configLevers(env.config, env.env), tier: env.spec.complexity.tier });
  let signals = readSignals(record.ws);
  if (signals.pause && !signals.stop) {
    record.save({ status: "paused" });
    const by = signalReason(record.ws.pause);
    record.emit({ kind: "paused", ...(by ? { by } : {}) });
    env.notice("paused: remove .loki/PAUSE or run `loki resume` to continue");
    // A pause may last hours: what the last iteration wrote is made durable before waiting, not after.
    syncOwed();
    while (signals.pause && !signals.stop && !env.signal.aborted) {
      await env.clock.sleep(PAUSE_POLL_MS, env.signal);
      signals = readSignals(record.ws);
    }
    if (env.signal.aborted) return { outcome: "interrupted", reason: "interrupted while paused; state saved" };
    // What was asked while paused (a model, a higher cap) holds from the iteration that follows.
    applyRequests(record, { levers: configLevers(env.config, env.env), tier: env.spec.complexity.tier });
    record.save({ status: "running" });
    record.emit({ kind: "resumed" });
  }
  if (signals.stop) return { outcome: "stopped", reason: signalReason(record.ws.stop) ?? "stopped by .loki/STOP" };
  const finished = record.state.phase === "done" || record.state.phase === "starting";
  if (finished && record.state.iteration >= record.state.caps.max_iterations) {
    const blocked = record.state.last_verdict === "BLOCKED";
    return {
      outcome: blocked ? "blocked" : "max_iterations",
      reason: `reached the iteration cap (${record.state.caps.max_iterations}) ${blocked ? "blocked at the ship gate" : "without a verified result"}`,
    };
  }
  const store = heldOutStoreProblem(record.ws, record.state.run_id);
  if (store) return { outcome: "error", reason: store };
  const left = remainingMs();
  if (left !== null && left <= 0)
    return { outcome: "max_duration", reason: `reached the time cap (${record.state.caps.max_duration_s} s)` };
  if (!nextCall(record).ok) {
    const { spent_usd, limit_usd } = record.state.budget;
    return {
      outcome: "budget_exceeded",
      reason: budgetReason(`after iteration ${record.state.iteration}`, spent_usd, limit_usd, "no further call fits"),
    };
  }
  return undefined;
}

/** Why the branch is not where it was graded (HEAD is another commit, even one with the same tree), or null. */
async function movedSinceGraded(root: string, graded: string): Promise<string | null> {
  const now = await headSha(root);
  if (now === graded) return null;
  return `the branch moved after it was graded (HEAD is ${now?.slice(0, 12) ?? "unreadable"}, the graded commit ${graded.slice(0, 12)}): something the gates ran changed it`;
}
