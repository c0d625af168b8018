// The model tiers, cheapest first, and the phases of a run that pick a tier (core/models.ts decides
// which model each is). No imports: config.ts validates `max_tier` with this list.

export const MODEL_TIERS = ["fast", "development", "planning"] as const;
export type ModelTier = (typeof MODEL_TIERS)[number];
export type RunPhase = "reason" | "act" | "verify";
