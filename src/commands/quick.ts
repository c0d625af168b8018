// `loki quick "<task>"`: a one-line brief as the spec, built in this repository with small caps by
// default (5 iterations, $3) — the same loop, gates, held-out check, council and proof as `loki start`.
import { usageError } from "../core/errors.ts";
import type { ExitCode } from "../core/exit-codes.ts";
import { type RunOptions, runStart } from "./run.ts";

/** A quick task's caps unless --max-iterations / --budget say otherwise. */
export const QUICK_CAPS = { maxIterations: 5, budgetUsd: 3 } as const;

export async function runQuick(task: string | undefined, options: RunOptions): Promise<ExitCode> {
  if (!task || task.trim() === "")
    throw usageError('loki quick needs a task, e.g. loki quick "add a dark mode toggle to the settings page"', {
      hint: "for a spec file use loki start ./prd.md",
    });
  return runStart(undefined, {
    ...options,
    brief: task,
    maxIterations: options.maxIterations ?? QUICK_CAPS.maxIterations,
    budget: options.budget ?? QUICK_CAPS.budgetUsd,
  });
}
