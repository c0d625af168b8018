// When a run makes a planning pass, decided from the spec's complexity tier and `planner.mode`. Pure:
// `plan`'s quote and the loop ask the same question here, so a quoted planning pass is the one that runs.
import type { ComplexityTier } from "../core/schema.ts";

export type PlannerMode = "auto" | "on" | "off";

/** auto: standard and complex specs are planned; a simple one is its checklist, worked as one task. */
export function plannerRuns(mode: PlannerMode, tier: ComplexityTier): boolean {
  return mode === "on" || (mode === "auto" && tier !== "simple");
}
