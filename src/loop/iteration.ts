// One RARV-C iteration, as its five phases in order: Reason (reason.ts) → Act (act.ts) → Reflect
// (reflect.ts) → Verify (verify.ts) → Compound (compound.ts). Each phase is its own file; this one
// only sequences them and says what the iteration hands back to the loop.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { GateResult } from "../core/schema.ts";
import type { DiffSubject } from "../gates/gate.ts";
import { act, onFailure } from "./act.ts";
import { compound } from "./compound.ts";
import type { LoopEnv, LoopResult } from "./env.ts";
import { reason } from "./reason.ts";
import { reflect } from "./reflect.ts";
import { verifyIteration } from "./verify.ts";
import { readUnseen } from "../gates/unseen.ts";

/** What one iteration hands the loop: a stop, or its gates — and, when it asks for the ship gate, why and the change. */
export type IterationStep = { stop?: LoopResult; ship?: { trigger: string; change: DiffSubject }; gates: GateResult[] };

export async function runIteration(env: LoopEnv, remainingMs: () => number | null): Promise<IterationStep> {
  const { record } = env;
  const dir = record.ws.iteration(record.state.iteration);
  // The iteration's prompt and transcripts are the user's alone, as everything under .loki/ is.
  mkdirSync(dir, { recursive: true, mode: 0o700 });

  const rendered = reason(env, dir);

  let call = await act(env, rendered, join(dir, "agent.jsonl"));
  let failure = call.ok ? undefined : await onFailure(env, call, remainingMs);
  // A failover redoes this iteration's call on the next provider, with the same prompt: it spends no
  // iteration. The chain only moves forward, so this ends.
  while (failure?.switched && (remainingMs() ?? 1) > 0) {
    call = await act(env, rendered, join(dir, "agent.jsonl"));
    failure = call.ok ? undefined : await onFailure(env, call, remainingMs);
  }
  if (call.ok && record.state.retries.consecutive > 0) record.save({ retries: { ...record.state.retries, consecutive: 0 } });

  // What no diff shows (ignored runner files, hidden index entries) is read while the checkpoint commits:
  // the agent has ended, and with no app (the agent's code) running nothing writes the tree until the
  // gates. Neither git add nor commit changes it: add skips ignored and index-hidden files alike.
  const unseen = env.app ? undefined : readUnseen(record.ws.root);
  unseen?.catch(() => undefined); // the gate awaits it and reports its failure; a skipped verify never does
  const reflected = await reflect(env, call, failure);
  if (reflected.stop) return { stop: reflected.stop, gates: [] };
  if (reflected.skipVerify) return { gates: [] };

  // The app never runs while loki grades: it could hold a port a test needs, or write the tree.
  await env.app?.beforeGrading();
  // What the checkpoint read with HEAD is still so when nothing ran since: no app (the agent's code) that could move it.
  const grading = env.app ? null : reflected.grading;
  const verified = await verifyIteration(env, dir, { stagnation: reflected.stagnation }, { grading, unseen });
  // Written with the iteration's end at the next iteration's start (loop.ts): compound only records.
  record.stage({ phase: "compound", feedback: verified.feedback });

  const trigger = await compound(env, call, reflected, verified);
  // Up again on this iteration's tree, unless the ship gate grades it first (loop.ts restarts it after).
  if (!trigger) await env.app?.afterIteration(reflected.changed);
  return { ...(trigger ? { ship: { trigger, change: verified.change } } : {}), gates: verified.gates };
}
