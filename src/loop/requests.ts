// The run's side of the requests a user leaves in .loki/control/ (the dashboard, `loki` commands): a
// model for the next iteration and a higher budget cap, taken once at an iteration boundary, checked
// again here (the file is data, not a command), applied to the run's state and told as events.
import { renameSync, rmSync } from "node:fs";
import type { z } from "zod";
import { modelFor, switchableModels, type ModelLevers } from "../core/models.ts";
import type { ProviderId } from "../core/config.ts";
import { messageOf } from "../core/errors.ts";
import type { ComplexityTier } from "../core/schema.ts";
import { BudgetRequest, ModelRequest } from "../core/run-schema.ts";
import { readJson } from "../core/workspace.ts";
import { WARN_FRACTION } from "./budget.ts";
import type { RunRecord } from "./run-state.ts";

/** Applies what is waiting; each request file is removed once read, whether it was applied or refused. */
export function applyRequests(record: RunRecord, run: SwitchContext): void {
  const model = take(record, record.ws.modelRequest, ModelRequest);
  if (model) applyModel(record, model, run);
  const budget = take(record, record.ws.budgetRequest, BudgetRequest);
  if (budget) applyBudget(record, budget);
}

function take<T extends z.ZodType<{ run_id: string }>>(record: RunRecord, path: string, schema: T): z.infer<T> | null {
  // Claimed by a rename first: a newer request written while this one is read is kept for the next boundary.
  const claimed = `${path}.${process.pid}.taken`;
  try {
    renameSync(path, claimed);
  } catch {
    return null;
  }
  let value: z.infer<T> | undefined;
  try {
    value = readJson(claimed, schema) as z.infer<T> | undefined;
  } catch {
    value = undefined;
  }
  rmSync(claimed, { force: true });
  if (value === undefined) record.emit({ kind: "warning", message: `${path} is not a valid request; removed unapplied` });
  else if (value.run_id !== record.state.run_id)
    record.emit({ kind: "warning", message: `${path} was asked of run ${value.run_id}, not this one; removed unapplied` });
  return value?.run_id === record.state.run_id ? value : null;
}

/** What a switch is checked against: the run's model levers (its ceiling) and the spec's complexity. */
type SwitchContext = { levers: ModelLevers; tier: ComplexityTier };

function applyModel(record: RunRecord, request: ModelRequest, run: SwitchContext): void {
  const { provider, model } = record.state;
  if (request.model === model) return;
  if (!switchableModels(provider).includes(request.model)) {
    record.emit({ kind: "warning", message: `model ${request.model} is not one ${provider} runs here; the run keeps ${model}` });
    return;
  }
  // The same function as every dispatch: a switch above max_tier is refused, as --model would be.
  try {
    const resolved = modelFor({
      provider: provider as ProviderId,
      tier: run.tier,
      phase: "act",
      levers: { ...run.levers, switched: request.model },
    });
    // A provider on models of its own (providers.<id>.model, LOKI_MODEL_OVERRIDE) is not switched to a vendor's.
    if (resolved.model !== request.model) throw new Error(`${provider} runs ${resolved.model} here (${resolved.source})`);
  } catch (error) {
    record.emit({ kind: "warning", message: `model ${request.model} refused: ${messageOf(error)}; the run keeps ${model}` });
    return;
  }
  record.emit({ kind: "model_switched", from: model, to: request.model, by: request.by });
  record.save({ model: request.model });
}

function applyBudget(record: RunRecord, request: BudgetRequest): void {
  const { limit_usd, spent_usd } = record.state.budget;
  // Only ever up: a request cannot take away a cap the user set, nor end the run by lowering it.
  if (limit_usd === null || request.limit_usd <= limit_usd) {
    const why = limit_usd === null ? "the run has no cap" : `it is not above the cap of $${limit_usd.toFixed(2)}`;
    record.emit({ kind: "warning", message: `budget cap of $${request.limit_usd.toFixed(2)} refused: ${why}` });
    return;
  }
  record.emit({ kind: "budget_raised", from: limit_usd, to: request.limit_usd, by: request.by });
  record.save({ budget: { ...record.state.budget, limit_usd: request.limit_usd, warned: spent_usd >= WARN_FRACTION * request.limit_usd } });
}
