// `loki quick "<task>"`: a one-line brief as the spec, built in this repository with small caps by
// default (5 iterations, $3) — the same loop, gates, held-out check, council and proof as `loki start`.
import { loadConfig } from "../core/config.ts";
import { usageError } from "../core/errors.ts";
import { findRoot } from "../core/workspace.ts";
import type { ExitCode } from "../core/exit-codes.ts";
import { type RunOptions, runStart } from "./run.ts";

/** A quick task's caps unless --max-iterations / --budget say otherwise. */
export const QUICK_CAPS = { maxIterations: 5, budgetUsd: 3 } as const;

export async function runQuick(task: string | undefined, options: RunOptions): Promise<ExitCode> {
  if (!task || task.trim() === "")
    throw usageError('loki quick needs a task, e.g. loki quick "add a dark mode toggle to the settings page"', {
      hint: "for a spec file use loki start ./prd.md",
    });
  // The small caps stand in for unset ones only: a cap your loki.yaml, environment or user config sets
  // (often lower) is never raised by a default.
  const { origins } = loadConfig(findRoot(), process.env, {});
  return runStart(undefined, {
    ...options,
    brief: task,
    maxIterations: options.maxIterations ?? (origins.has("max_iterations") ? undefined : QUICK_CAPS.maxIterations),
    budget: options.budget ?? (origins.has("budget_usd") ? undefined : QUICK_CAPS.budgetUsd),
  });
}
