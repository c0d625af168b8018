// Act, the second phase of an iteration: one build call on the run's current provider, bounded by the
// budget left and billed (spend.ts); a failure becomes a retry with backoff, a failover or a stop, bounded
// by max_retries. With a provider to fail over to, the CLI's first throttle retry ends the call (failover
// within seconds). Provider failures are data; only an unwritable transcript is thrown, once billed.
import { existsSync, mkdirSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import type { ProviderId } from "../core/config.ts";
import { configLevers, modelFor } from "../core/models.ts";
import { processStartSync } from "../core/process-identity.ts";
import { selfCommand } from "../core/self.ts";
import { callProvider, type CallResult } from "../providers/call.ts";
import { backoffMs, budgetReason } from "./budget.ts";
import type { LoopEnv, LoopResult } from "./env.ts";
import type { RenderedPrompt } from "./prompt.ts";
import { guardIntegrity } from "./integrity.ts";
import { specPaths } from "../sandbox/spec-paths.ts";
import { callSettings } from "./sandbox.ts";
import { readSignals } from "./signals.ts";
import { chargeCall, nextCall } from "./spend.ts";
import { watchToolCall } from "./trust-sink.ts";
import { holdAt } from "./hold.ts";

const FATAL = new Set(["auth", "unknown_model", "not_started"]);

/** `refused`: the call never started — what is left of the budget cannot pay for one. */
export type Acted = CallResult & { provider: ProviderId; refused?: true };

export async function act(env: LoopEnv, rendered: RenderedPrompt, transcript: string): Promise<Acted> {
  const { record } = env;
  const id = record.state.provider as ProviderId;
  const ready = env.providers.get(id);
  if (!ready) throw new Error(`provider ${id} was not prepared`);
  const callId = `i${record.state.iteration}-${record.state.retries.total}-${Math.floor(env.clock.random() * 1e6).toString(36)}`;
  // Written with the call's start (onSpawn), a save away: a kill before it redoes the iteration either way.
  record.stage({ phase: "act" });
  await holdAt("loop:act", record.ws, env.env);
  guardIntegrity(record, "build");
  // The loop's boundary checks this too; here the call itself is never started past the cap.
  const allowance = nextCall(record);
  if (!allowance.ok) return refusedCall(id);
  const remaining = allowance.boundUsd;
  record.emit({ kind: "agent_started", provider: id, model: record.state.model, call_id: callId });
  const scratchDir = join(record.ws.scratch(record.state.run_id), id);
  mkdirSync(scratchDir, { recursive: true });
  const chain = record.state.chain as ProviderId[];
  const canFailOver = chain.indexOf(id) + 1 < chain.length;
  const result = await callProvider(ready.provider, {
    prompt: rendered.prompt,
    systemPrompt: rendered.system,
    model: record.state.model,
    role: "build",
    ...(env.config.effort ? { effort: env.config.effort } : {}),
    ...(remaining === undefined ? {} : { remainingBudgetUsd: remaining }),
    ...callSettings(env, { role: "build", cwd: record.ws.root, scratchDir, ready }),
    transcript,
    ...(canFailOver ? { stopAfterRetries: env.config.failover_after_retries } : {}),
    ...(env.config.mcp.children
      ? { mcpServer: childMcpServer(record.ws.root, record.state.start_sha, specPaths(env.spec.source.path, [record.ws.root])) }
      : {}),
    onSpawn: (pid) => {
      // Its start time, so a resume kills this call's leftovers and never a process that reused the pid.
      const start = processStartSync(pid);
      const call = { pid, iteration: record.state.iteration, call_id: callId, started_at: new Date().toISOString() };
      record.save({ active_call: start ? { ...call, pid_start: start } : call });
    },
    onEvent: (event) => {
      watchToolCall(record, "build", event);
      if (event.kind === "tool_use") env.onToolCall?.(event);
      if (event.kind === "model_fallback")
        record.emit({ kind: "model_fallback", provider: id, from: event.from, to: event.to, reason: event.reason });
    },
    ...(env.config.fallback_model
      ? {
          fallbackModel: modelFor({
            provider: id,
            tier: env.spec.complexity.tier,
            phase: "act",
            levers: { ...configLevers(env.config, env.env), configured: env.config.fallback_model, phases: {} },
          }).model,
        }
      : {}),
  });
  // Ctrl+C or `loki stop` kills the agent's process group: that call was stopped, it did not crash.
  const stopped = !result.ok && (env.signal.aborted || existsSync(record.ws.stop));
  record.emit({
    kind: "agent_finished",
    provider: id,
    model: record.state.model,
    call_id: callId,
    ok: result.ok,
    exit_code: result.exitCode,
    error_class: stopped ? "stopped" : result.errorClass,
    usd: result.costUsd,
    basis: result.costBasis,
    duration_ms: result.durationMs,
    claimed_done: result.claimedDone,
  });
  // Cleared only once the ledger has the call (chargeCall bills first, then saves the state with it):
  // resume bills an active call it cannot find there. A CLI that never started called no model: nothing to bill.
  // A call that went well is followed at once by reflect's first save, which writes the clearing with it.
  if (result.errorClass !== "not_started")
    chargeCall(
      env,
      {
        iteration: record.state.iteration,
        call_id: callId,
        role: "build",
        provider: id,
        model: record.state.model,
        usd: result.costUsd,
        basis: result.costBasis,
        tokens: result.usage,
        duration_ms: result.durationMs,
      },
      { active_call: null },
      result.ok ? "stage" : "save",
    );
  else record.save({ active_call: null });
  await holdAt("loop:billed", record.ws, env.env);
  if (result.transcriptError) throw result.transcriptError;
  return { ...result, provider: id };
}

/**
 * `loki mcp --tools child` for this run: loki_verify grades the agent's uncommitted work against the run's
 * start. The spec's paths in the repository are masked in the agent's sandbox: the diff leaves them out.
 */
export function childMcpServer(root: string, startSha: string, spec: readonly string[]): { command: string; args: string[] } {
  const [command, ...args] = selfCommand();
  const masked = spec.map((path) => relative(root, path)).filter((rel) => rel !== "" && !rel.startsWith("..") && !isAbsolute(rel));
  return {
    command: command as string,
    args: [...args, "mcp", "--tools", "child", "--repo", root, "--base", startSha, ...masked.flatMap((rel) => ["--masked", rel])],
  };
}

function refusedCall(provider: ProviderId): Acted {
  const outcome = { ok: false, claimedDone: false, errorClass: "budget", costUsd: 0, costBasis: "exact", usage: {} } as const;
  return {
    ...outcome,
    finalText: "",
    toolUses: 0,
    permissionDenials: 0,
    durationMs: 0,
    exitCode: null,
    stderrTail: "",
    spawnError: null,
    transcriptError: null,
    provider,
    refused: true,
  };
}

/**
 * A failed call: stop (interrupted, fatal), fail over, or back off — bounded by max_retries. `switched`:
 * the run moved to the next provider, which redoes the same iteration (a failover spends no iteration).
 */
export async function onFailure(
  env: LoopEnv,
  call: Acted,
  remainingMs: () => number | null,
): Promise<{ stop?: LoopResult; note: string; switched?: true }> {
  const { record, config } = env;
  const note = `${call.provider} call failed (${call.errorClass ?? "error"})${call.finalText ? `: ${call.finalText.split("\n")[0]?.slice(0, 200)}` : ""}`;
  if (env.signal.aborted) return { stop: { outcome: "interrupted", reason: "interrupted during the agent call; state saved" }, note };
  if (call.errorClass === "max_turns") return { note };
  // The provider stopped the call at the bound loki gave it: what is left cannot pay for a retry.
  if (call.errorClass === "budget") {
    const { spent_usd, limit_usd } = record.state.budget;
    const n = record.state.iteration;
    const reason = call.refused
      ? budgetReason(`before iteration ${n}'s build call`, spent_usd, limit_usd, "no further call fits")
      : budgetReason(
          `during iteration ${n}'s build call`,
          spent_usd,
          limit_usd,
          "the provider stopped it at its bound; the work so far is checkpointed",
        );
    return { stop: { outcome: "budget_exceeded", reason }, note };
  }
  if (call.errorClass && FATAL.has(call.errorClass)) {
    const fix =
      call.errorClass === "auth"
        ? `log in again (loki doctor shows how) — ${call.provider} said: ${call.finalText.slice(0, 200)}`
        : call.errorClass === "not_started"
          ? `the ${call.provider} CLI could not be started (${call.spawnError}); nothing was billed — run \`loki doctor\` to find or reinstall it, then \`loki resume\``
          : `model "${record.state.model}" is not available to ${call.provider}; choose another with --model`;
    return { stop: { outcome: "error", reason: fix }, note };
  }
  const retries = { consecutive: record.state.retries.consecutive + 1, total: record.state.retries.total + 1 };
  const chain = record.state.chain as ProviderId[];
  const next = chain[chain.indexOf(call.provider) + 1];
  const exhausted = retries.consecutive > config.max_retries;
  const throttled = call.errorClass === "rate_limit" || call.errorClass === "overloaded";
  if (next && (throttled || exhausted)) {
    const model = modelFor({ provider: next, tier: env.spec.complexity.tier, phase: "act", levers: configLevers(config, env.env) }).model;
    record.save({ provider: next, model, retries: { consecutive: 0, total: retries.total } });
    record.emit({ kind: "provider_failover", from: call.provider, to: next, reason: call.errorClass ?? "error" });
    env.notice(`provider ${call.provider} failed (${call.errorClass}); switching to ${next}`);
    return { note, switched: true };
  }
  if (exhausted)
    return {
      stop: { outcome: "failed", reason: `${call.provider} failed ${retries.consecutive} times in a row (last: ${call.errorClass})` },
      note,
    };
  record.save({ retries });
  const wait = backoffMs({
    attempt: retries.consecutive - 1,
    baseSeconds: config.backoff_base_seconds,
    maxSeconds: config.backoff_max_seconds,
    ...(call.retryAfterMs === undefined ? {} : { requestedMs: call.retryAfterMs }),
    remainingMs: remainingMs(),
    random: env.clock.random,
  });
  record.emit({
    kind: "retry",
    provider: call.provider,
    error_class: call.errorClass ?? "error",
    wait_ms: wait,
    attempt: retries.consecutive,
  });
  env.notice(
    `${call.provider}: ${call.errorClass ?? "error"}; retrying in ${Math.round(wait / 1000)} s (attempt ${retries.consecutive} of ${config.max_retries})`,
  );
  await waitUnlessStopped(env, wait);
  return { note };
}

async function waitUnlessStopped(env: LoopEnv, ms: number): Promise<void> {
  const until = env.clock.now() + ms;
  while (env.clock.now() < until && !env.signal.aborted && !readSignals(env.record.ws).stop) {
    await env.clock.sleep(Math.min(500, until - env.clock.now()), env.signal);
  }
}
