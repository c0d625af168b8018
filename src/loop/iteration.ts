// One RARV-C iteration: Reason (prompt) → Act (provider call, billed) → Reflect (checkpoint,
// continuity) → Verify (gate runner) → Compound (episode). Provider failures are data: they
// become retries, backoff or failover here, or a stop the loop returns.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { commitCheckpoint, treeOfHead } from "../core/git.ts";
import { resolveModel } from "../core/models.ts";
import type { ProviderId } from "../core/config.ts";
import { GateResult } from "../core/schema.ts";
import { writeJson } from "../core/workspace.ts";
import { readSubject } from "../gates/diff.ts";
import { ALL_GATES } from "../gates/all.ts";
import { runGates, verdictOf, type Subject, type Verdict } from "../gates/gate.ts";
import { buildEvidence, writeEvidence } from "../verify/evidence.ts";
import { pastFailures, recordEpisode } from "../memory/episodes.ts";
import { callProvider, type CallResult } from "../providers/call.ts";
import { backoffMs, checkBudget, remainingBudget } from "./budget.ts";
import { readLearnings, updateContinuity } from "./continuity.ts";
import { checkDrift } from "../spec/drift.ts";
import type { LoopEnv, LoopResult } from "./env.ts";
import { renderPrompt } from "./prompt.ts";
import { doneSignalPath, readSignals, takeHumanInput } from "./signals.ts";
import { skillsFor } from "./skills.ts";
import { trust } from "./trust-sink.ts";

export type IterationStep = { stop?: LoopResult; ship?: string; gates: GateResult[]; subject?: Subject };
const FATAL = new Set(["auth", "unknown_model"]);

export async function runIteration(env: LoopEnv, remainingMs: () => number | null): Promise<IterationStep> {
  const { record } = env;
  const n = record.state.iteration;
  const dir = join(record.ws.iteration(n));
  mkdirSync(dir, { recursive: true });

  // Reason
  const human = takeHumanInput(record.ws, env.env, n);
  if (human && "refused" in human) record.emit({ kind: "warning", message: human.refused });
  const rendered = renderPrompt({
    spec: { title: env.spec.title, ...(env.spec.summary ? { summary: env.spec.summary } : {}) },
    items: env.visible,
    heldOutCount: env.heldOutCount,
    iteration: n,
    maxIterations: record.state.caps.max_iterations,
    feedback: record.state.feedback,
    pastFailures: pastFailures(record.ws),
    ...(human && "text" in human ? { humanInput: human.text } : {}),
    learnings: readLearnings(record.ws),
    skills: skillsFor("build", "build"),
  });
  writeFileSync(join(dir, "prompt.md"), `${rendered.system}\n\n---\n\n${rendered.prompt}`);
  record.emit({ kind: "prompt_built", bytes: Buffer.byteLength(rendered.system) + Buffer.byteLength(rendered.prompt), items: env.visible.length });

  // Act
  const call = await act(env, rendered, join(dir, "agent.jsonl"));
  const failure = call.ok ? undefined : await onFailure(env, call, remainingMs);
  if (call.ok && record.state.retries.consecutive > 0) record.save({ retries: { ...record.state.retries, consecutive: 0 } });

  // Reflect: whatever the agent left on disk is checkpointed, success or not.
  record.save({ phase: "reflect" });
  const checkpoint = await commitCheckpoint(record.ws.root, `loki: iteration ${n}`);
  record.emit({ kind: "checkpoint", sha: checkpoint.sha, changed: checkpoint.changed });
  const tree = await treeOfHead(record.ws.root);
  const stagnant = tree !== null && tree === record.state.stagnation.last_tree;
  record.save({ stagnation: { count: stagnant ? record.state.stagnation.count + 1 : 0, last_tree: tree } });
  const overBudget = checkBudget(record.state.budget.spent_usd, record.state.budget.limit_usd) === "exceeded";
  if (failure?.stop || overBudget) {
    updateContinuity(record.ws, [`iteration ${n}: ${failure?.stop?.reason ?? "budget exhausted"}`]);
    return { stop: failure?.stop ?? { outcome: "budget_exceeded", reason: `spent $${record.state.budget.spent_usd.toFixed(2)} of the $${record.state.budget.limit_usd?.toFixed(2)} budget` }, gates: [] };
  }
  if (failure) {
    recordEpisode(record.ws, { ts: new Date().toISOString(), run_id: record.state.run_id, iteration: n, provider: call.provider, result: "agent_error", files_changed: 0, failures: [failure.note], claimed_done: false });
    return { gates: [] };
  }

  // Verify
  record.save({ phase: "verify" });
  const subject = await readSubject(record.ws.root, record.state.start_sha, { includeWorktree: false });
  // The held-out gate stays out of iterations: the ship gate's held-out stage decides it afresh.
  const drift = await checkDrift(record.ws.root, env.config, env.env, { refetchIssue: false });
  const gates = await runGates(ALL_GATES, { subject, project: env.project, config: env.config, signal: env.signal, drift, heldout: null });
  writeJson(join(dir, "gates.json"), GateResult.array(), gates);
  for (const gate of gates) {
    record.emit({ kind: "gate_result", gate: gate.id, status: gate.status, reason: gate.reason });
    trust(record, "gate_result", { gate: gate.id, status: gate.status });
  }
  const verdict = verdictOf(gates);
  writeRunEvidence(record, subject, gates, verdict, []);
  const feedback = gates.filter((g) => g.status === "fail" || g.status === "inconclusive").map((g) => `${g.title}: ${g.reason}${g.digest ? `\n${g.digest}` : ""}`);
  record.save({ phase: "compound", feedback });

  // Compound
  const claimed = call.claimedDone || existsSync(doneSignalPath(record.ws));
  updateContinuity(record.ws, [`iteration ${n}: ${verdict.verdict}; ${subject.files.length} files changed since start`], feedback[0]?.split("\n")[0]);
  recordEpisode(record.ws, {
    ts: new Date().toISOString(), run_id: record.state.run_id, iteration: n, provider: call.provider,
    result: !checkpoint.changed ? "no_change" : verdict.verdict === "VERIFIED" ? "progress" : "gates_failed",
    files_changed: subject.files.length, failures: feedback.map((f) => f.split("\n")[0] ?? f), claimed_done: claimed,
  });
  const looksMet = verdict.verdict === "VERIFIED" && !checkpoint.changed && n > 1;
  const ship = claimed ? "the agent claimed done" : looksMet ? "all checks green and the agent made no further changes" : undefined;
  return { ...(ship ? { ship } : {}), gates, subject };
}

/** The run's evidence, through the same writer as `loki verify`: the gates, and the ship-gate stages once they ran. */
export function writeRunEvidence(record: LoopEnv["record"], subject: Subject, gates: GateResult[], verdict: { verdict: Verdict; reasons: string[] }, stages: { id: string; verdict: Verdict; reasons: string[] }[]): void {
  writeEvidence(record.ws, buildEvidence({
    source: "run", runId: record.state.run_id, subject, baseRef: "run start", branch: record.state.branch, scope: "diff",
    gates, verdict, blockOn: ["critical", "high"], baseline: null, stages, now: new Date(),
  }));
}

type Acted = CallResult & { provider: ProviderId };

async function act(env: LoopEnv, rendered: { system: string; prompt: string }, transcript: string): Promise<Acted> {
  const { record } = env;
  const id = record.state.provider as ProviderId;
  const ready = env.providers.get(id);
  if (!ready) throw new Error(`provider ${id} was not prepared`);
  const callId = `i${record.state.iteration}-${record.state.retries.total}-${Math.floor(env.clock.random() * 1e6).toString(36)}`;
  record.save({ phase: "act" });
  record.emit({ kind: "agent_started", provider: id, model: record.state.model, call_id: callId });
  const scratchDir = join(record.ws.scratch(record.state.run_id), id);
  mkdirSync(scratchDir, { recursive: true });
  const remaining = remainingBudget(record.state.budget.spent_usd, record.state.budget.limit_usd);
  const result = await callProvider(ready.provider, {
    prompt: rendered.prompt, systemPrompt: rendered.system, model: record.state.model, role: "build",
    ...(env.config.effort ? { effort: env.config.effort } : {}), ...(remaining === undefined ? {} : { remainingBudgetUsd: remaining }),
    cwd: record.ws.root, scratchDir, denyRead: env.denyRead, allowRoot: env.allowRoot,
    binaryPath: ready.binaryPath, help: ready.help, transcript, env: env.env, signal: env.signal,
    timeoutMs: env.config.agent_timeout_seconds * 1000, idleTimeoutMs: env.config.agent_idle_seconds * 1000,
    onSpawn: (pid) => record.save({ active_call: { pid, iteration: record.state.iteration, call_id: callId, started_at: new Date().toISOString() } }),
    onEvent: (event) => {
      if (event.kind === "model_fallback") record.emit({ kind: "model_fallback", provider: id, from: event.from, to: event.to, reason: event.reason });
    },
    ...(env.config.fallback_model ? { fallbackModel: resolveModel({ provider: id, tier: env.spec.complexity.tier, role: "build", configured: env.config.fallback_model }).model } : {}),
  });
  record.bill({ iteration: record.state.iteration, call_id: callId, role: "build", provider: id, model: record.state.model, usd: result.costUsd, basis: result.costBasis, tokens: result.usage, duration_ms: result.durationMs });
  const spent = record.state.budget.spent_usd + result.costUsd;
  const estimated = record.state.budget.estimated_usd + (result.costBasis === "estimated" ? result.costUsd : 0);
  record.save({ active_call: null, budget: { ...record.state.budget, spent_usd: spent, estimated_usd: estimated } });
  record.emit({ kind: "agent_finished", provider: id, model: record.state.model, call_id: callId, ok: result.ok, exit_code: result.exitCode, error_class: result.errorClass, usd: result.costUsd, basis: result.costBasis, duration_ms: result.durationMs, claimed_done: result.claimedDone });
  const limit = record.state.budget.limit_usd;
  if (limit !== null && checkBudget(spent, limit) === "warn" && !record.state.budget.warned) {
    record.save({ budget: { ...record.state.budget, warned: true } });
    record.emit({ kind: "budget_warning", spent_usd: spent, limit_usd: limit });
    trust(record, "budget_warning", { spent_usd: spent, limit_usd: limit });
    env.notice(`budget: $${spent.toFixed(2)} of $${limit.toFixed(2)} spent (80 % warning)`);
  }
  if (limit !== null && checkBudget(spent, limit) === "exceeded") record.emit({ kind: "budget_exceeded", spent_usd: spent, limit_usd: limit });
  return { ...result, provider: id };
}

/** A failed call: stop (interrupted, fatal), fail over, or back off — bounded by max_retries. */
async function onFailure(env: LoopEnv, call: Acted, remainingMs: () => number | null): Promise<{ stop?: LoopResult; note: string }> {
  const { record, config } = env;
  const note = `${call.provider} call failed (${call.errorClass ?? "error"})${call.finalText ? `: ${call.finalText.split("\n")[0]?.slice(0, 200)}` : ""}`;
  if (env.signal.aborted) return { stop: { outcome: "interrupted", reason: "interrupted during the agent call; state saved" }, note };
  if (call.errorClass === "max_turns") return { note };
  if (call.errorClass && FATAL.has(call.errorClass)) {
    const fix = call.errorClass === "auth" ? `log in again (loki doctor shows how) — ${call.provider} said: ${call.finalText.slice(0, 200)}` : `model "${record.state.model}" is not available to ${call.provider}; choose another with --model`;
    return { stop: { outcome: "error", reason: fix }, note };
  }
  const retries = { consecutive: record.state.retries.consecutive + 1, total: record.state.retries.total + 1 };
  const chain = record.state.chain as ProviderId[];
  const next = chain[chain.indexOf(call.provider) + 1];
  const exhausted = retries.consecutive > config.max_retries;
  if (next && (call.errorClass === "rate_limit" || exhausted)) {
    const model = resolveModel({ provider: next, tier: env.spec.complexity.tier, role: "build", configured: config.model }).model;
    record.save({ provider: next, model, retries: { consecutive: 0, total: retries.total } });
    record.emit({ kind: "provider_failover", from: call.provider, to: next, reason: call.errorClass ?? "error" });
    env.notice(`provider ${call.provider} failed (${call.errorClass}); switching to ${next}`);
    return { note };
  }
  if (exhausted) return { stop: { outcome: "failed", reason: `${call.provider} failed ${retries.consecutive} times in a row (last: ${call.errorClass})` }, note };
  record.save({ retries });
  const wait = backoffMs({ attempt: retries.consecutive - 1, baseSeconds: config.backoff_base_seconds, maxSeconds: config.backoff_max_seconds, ...(call.retryAfterMs === undefined ? {} : { requestedMs: call.retryAfterMs }), remainingMs: remainingMs(), random: env.clock.random });
  record.emit({ kind: "retry", provider: call.provider, error_class: call.errorClass ?? "error", wait_ms: wait, attempt: retries.consecutive });
  env.notice(`${call.provider}: ${call.errorClass ?? "error"}; retrying in ${Math.round(wait / 1000)} s (attempt ${retries.consecutive} of ${config.max_retries})`);
  await waitUnlessStopped(env, wait);
  return { note };
}

async function waitUnlessStopped(env: LoopEnv, ms: number): Promise<void> {
  const until = env.clock.now() + ms;
  while (env.clock.now() < until && !env.signal.aborted && !readSignals(env.record.ws).stop) {
    await env.clock.sleep(Math.min(500, until - env.clock.now()), env.signal);
  }
}
