// Which model a provider runs for a given tier and role, and what its tokens cost. The plan's
// quote and the loop's dispatch both call resolveModel, so the quote prices what actually runs.
// The default-model table is here, not in the provider records, so `plan` (core only) can read it.
import { z } from "zod";
import pricingData from "../data/pricing.json" with { type: "json" };
import type { ProviderId } from "./config.ts";
import type { ComplexityTier } from "./schema.ts";

const ModelPrice = z.object({
  provider: z.string(),
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  /** The context window in tokens, from the CLI's own model table (Claude Code 2.1.330, codex 0.169). */
  context: z.number().int().positive(),
  note: z.string(),
});
export const Pricing = z.object({
  as_of: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  currency: z.literal("USD"),
  unit: z.string(),
  cache_read_multiplier: z.number().nonnegative(),
  cache_write_multiplier: z.number().nonnegative(),
  models: z.record(z.string(), ModelPrice),
});
export type Pricing = z.infer<typeof Pricing>;
export const PRICING: Pricing = Pricing.parse(pricingData);

export type Role = "build" | "review" | "judge";

/** Short names for `--model`, expanded for every provider (they name models, not CLIs). */
export const MODEL_ALIASES: Record<string, string> = {
  fable: "claude-fable-5-2",
  opus: "claude-opus-5-5",
  sonnet: "claude-sonnet-5-5",
  haiku: "claude-haiku-5-5",
};

/** The model a provider runs per complexity tier (build) and for review/judge calls. */
export type ModelDefaults = Readonly<Record<ComplexityTier, string> & { review: string }>;

/**
 * Each provider's default models. Its record (src/providers/<id>.ts) exposes its row as `models`;
 * the row lives here because `plan`, `loop` and `run` resolve models by id, synchronously, without
 * loading provider modules. tests/providers/records.test.ts checks every row is priced.
 */
export const DEFAULT_MODELS: Readonly<Record<ProviderId, ModelDefaults>> = {
  claude: { simple: "claude-sonnet-5-5", standard: "claude-sonnet-5-5", complex: "claude-opus-5-5", review: "claude-sonnet-5-5" },
  codex: { simple: "gpt-6.1-sol", standard: "gpt-6.1-sol", complex: "gpt-6.1-sol", review: "gpt-6.1-sol" },
  cline: { simple: "claude-sonnet-4-5", standard: "claude-sonnet-4-5", complex: "claude-sonnet-4-5", review: "claude-sonnet-4-5" },
  aider: { simple: "claude-sonnet-5-5", standard: "claude-sonnet-5-5", complex: "claude-sonnet-5-5", review: "claude-sonnet-5-5" },
  opencode: { simple: "claude-sonnet-5-5", standard: "claude-sonnet-5-5", complex: "claude-sonnet-5-5", review: "claude-sonnet-5-5" },
};

export type ResolvedModel = { provider: ProviderId; model: string; source: "configured" | "default" };

/** The model a provider is dispatched with: the user's choice (aliases expanded) or the tier default. */
export function resolveModel(input: {
  provider: ProviderId;
  tier: ComplexityTier;
  role: Role;
  configured?: string | undefined;
}): ResolvedModel {
  if (input.configured)
    return { provider: input.provider, model: MODEL_ALIASES[input.configured] ?? input.configured, source: "configured" };
  const defaults = DEFAULT_MODELS[input.provider];
  return { provider: input.provider, model: input.role === "build" ? defaults[input.tier] : defaults.review, source: "default" };
}

/**
 * The models a run on `provider` may switch to mid-run (the dashboard's model control): the priced
 * ones its default model's vendor offers, so the budget, the quote and the dispatch agree on a price.
 */
export function switchableModels(provider: string): string[] {
  const defaults = (DEFAULT_MODELS as Record<string, ModelDefaults | undefined>)[provider];
  const vendor = defaults ? PRICING.models[defaults.standard]?.provider : undefined;
  if (!vendor) return [];
  return Object.entries(PRICING.models)
    .filter(([, price]) => price.provider === vendor)
    .map(([id]) => id);
}

export type Tokens = { input: number; output: number; cache_read: number; cache_write: number };
export type PricedCost = { usd: number; priced_as: string; basis: "table" | "fallback" };

/**
 * Dollars for `tokens` on `model`. A model missing from the table is priced as its provider's
 * most expensive listed model and marked "fallback": an unknown price is never $0.
 */
export function priceTokens(model: string, tokens: Tokens, provider?: ProviderId): PricedCost {
  const listed = PRICING.models[model];
  const [pricedAs, price, basis] = listed ? [model, listed, "table" as const] : [...fallbackPrice(provider), "fallback" as const];
  const perToken = (dollarsPerMillion: number) => dollarsPerMillion / 1_000_000;
  const usd =
    tokens.input * perToken(price.input) +
    tokens.cache_read * perToken(price.input) * PRICING.cache_read_multiplier +
    tokens.cache_write * perToken(price.input) * PRICING.cache_write_multiplier +
    tokens.output * perToken(price.output);
  return { usd, priced_as: pricedAs, basis };
}

/**
 * The context window of `model` in tokens. A model missing from the table gets the smallest window
 * its provider's listed models have ("fallback"): a prompt is never assumed to fit a window unknown.
 */
export function contextWindow(model: string, provider?: ProviderId): { tokens: number; basis: "table" | "fallback" } {
  const listed = PRICING.models[model];
  if (listed) return { tokens: listed.context, basis: "table" };
  const entries = Object.values(PRICING.models);
  const pool = entries.filter((p) => p.provider === provider);
  return { tokens: Math.min(...(pool.length > 0 ? pool : entries).map((p) => p.context)), basis: "fallback" };
}

function fallbackPrice(provider: ProviderId | undefined): [string, z.infer<typeof ModelPrice>] {
  const entries = Object.entries(PRICING.models);
  const pool = entries.filter(([, p]) => p.provider === provider);
  const sorted = (pool.length > 0 ? pool : entries).sort(([, a], [, b]) => b.output - a.output);
  const top = sorted[0];
  if (!top) throw new Error("pricing table is empty");
  return top;
}
