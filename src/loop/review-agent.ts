// The loop's side of the review stage's ReviewAgent: read-only calls on the run's current provider
// with the review model, transcripts kept beside the iteration, each bounded by and billed against the
// run's budget (spend.ts) — refused past the cap, or when loki's code or the provider CLI changed.
import { mkdirSync } from "node:fs";
import { join, relative } from "node:path";
import type { ProviderId } from "../core/config.ts";
import { configLevers, modelFor, ROLE_PHASE } from "../core/models.ts";
import { callProvider } from "../providers/call.ts";
import type { ReviewAgent } from "../review/agent.ts";
import type { LoopEnv } from "./env.ts";
import { guardIntegrity } from "./integrity.ts";
import { callSettings, plantedLinks } from "./sandbox.ts";
import { chargeCall, nextCall, roomForParallel } from "./spend.ts";
import { watchToolCall } from "./trust-sink.ts";

export function reviewAgent(env: LoopEnv): ReviewAgent {
  const { record } = env;
  const id = record.state.provider as ProviderId;
  const ready = env.providers.get(id);
  return {
    parallel: (calls) => Boolean(ready?.provider.capabilities.parallel) && roomForParallel(record, calls),
    call: async (req) => {
      if (!ready) throw new Error(`provider ${id} was not prepared`);
      const phase = req.phase ?? ROLE_PHASE[req.role];
      // The planner reads like a reviewer: the provider runs it with the review role's read-only flags.
      const invocationRole = req.role === "plan" ? "review" : req.role;
      const model = modelFor({ provider: id, tier: env.spec.complexity.tier, phase, levers: configLevers(env.config, env.env) }).model;
      const n = record.state.iteration;
      const transcript = join(req.transcriptDir ? join(record.ws.dir, req.transcriptDir) : record.ws.iteration(n), `${req.label}.jsonl`);
      // A grader whose code changed since the run started is never run: the call fails, the run is blocked.
      // So is one whose CLI would follow a link the agent planted where its config is kept (sandbox.ts).
      const tampered = [...guardIntegrity(record, req.label), ...plantedLinks(ready.provider, req.cwd, env.env)];
      if (tampered.length > 0)
        return {
          ok: false,
          finalText: `refused: ${tampered.join("; ")}`,
          costUsd: 0,
          transcript: relative(record.ws.dir, transcript),
          provider: id,
          model,
          errorClass: "grader_tampered",
        };
      const allowance = nextCall(record);
      if (!allowance.ok)
        return {
          ok: false,
          finalText: "not run: the run's budget is spent",
          costUsd: 0,
          transcript: relative(record.ws.dir, transcript),
          provider: id,
          model,
          errorClass: "budget",
          budgetStop: { how: "refused", spentUsd: record.state.budget.spent_usd, limitUsd: record.state.budget.limit_usd },
        };
      const remaining = allowance.boundUsd;
      const scratchDir = join(record.ws.scratch(record.state.run_id), `${id}-${req.label}`);
      mkdirSync(scratchDir, { recursive: true });
      const result = await callProvider(ready.provider, {
        prompt: req.prompt,
        systemPrompt: req.systemPrompt,
        model,
        role: invocationRole,
        ...(remaining === undefined ? {} : { remainingBudgetUsd: remaining }),
        ...callSettings(env, { role: invocationRole, cwd: req.cwd, scratchDir, ready, ...(req.hidden ? { hidden: req.hidden } : {}) }),
        transcript,
        onEvent: (event) => watchToolCall(record, req.label, event),
      });
      const callId = `i${n}-${req.label}-${Math.floor(env.clock.random() * 1e6).toString(36)}`;
      chargeCall(env, {
        iteration: n,
        call_id: callId,
        role: req.role,
        provider: id,
        model,
        usd: result.costUsd,
        basis: result.costBasis,
        tokens: result.usage,
        duration_ms: result.durationMs,
      });
      // A transcript loki could not write (a full disk) ends the run, named, once the call is billed.
      if (result.transcriptError) throw result.transcriptError;
      const cutOff = result.errorClass === "budget";
      return {
        ok: result.ok,
        finalText: result.finalText,
        costUsd: result.costUsd,
        transcript: relative(record.ws.dir, transcript),
        provider: id,
        model,
        errorClass: result.errorClass,
        ...(cutOff
          ? { budgetStop: { how: "cut_off", spentUsd: record.state.budget.spent_usd, limitUsd: record.state.budget.limit_usd } }
          : {}),
      };
    },
  };
}
