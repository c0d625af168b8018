// Which model a provider runs for a given tier and role, and what its tokens cost. The plan's
// quote and the loop's dispatch both call modelFor, so the quote prices what actually runs.
// The default-model table is here, not in the provider records, so `plan` (core only) can read it.
import { z } from "zod";
import pricingData from "../data/pricing.json" with { type: "json" };
import type { Config, ProviderId } from "./config.ts";
import { type ProviderLevers, providerLevers } from "./endpoints.ts";
import { configError, messageOf } from "./errors.ts";
import { type ComplexityTier, JITLESS } from "./schema.ts";
import { MODEL_TIERS, type ModelTier, type RunPhase } from "./model-tiers.ts";
import { lazySchema } from "./lazy-schema.ts";

export { MODEL_TIERS, type ModelTier, type RunPhase };

const ModelPrice = lazySchema(() =>
  z.object({
    provider: z.string(),
    input: z.number().nonnegative(),
    output: z.number().nonnegative(),
    /** The context window in tokens, from the CLI's own model table (Claude Code 2.1.330, codex 0.169). */
    context: z.number().int().positive(),
    note: z.string(),
  }),
);
export const Pricing = lazySchema(() =>
  z.object({
    as_of: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    currency: z.literal("USD"),
    unit: z.string(),
    cache_read_multiplier: z.number().nonnegative(),
    cache_write_multiplier: z.number().nonnegative(),
    models: z.record(z.string(), ModelPrice),
  }),
);
export type Pricing = z.infer<typeof Pricing>;
// Parsed once per process, at load: zod's eval fast path (`jitless: false`) costs more to generate than it saves.
export const PRICING: Pricing = Pricing.parse(pricingData, JITLESS);

export type Role = "build" | "review" | "judge";

/** Short names for `--model`, expanded for every provider (they name models, not CLIs). */
export const MODEL_ALIASES: Record<string, string> = {
  fable: "claude-fable-5-2",
  opus: "claude-opus-5-5",
  sonnet: "claude-sonnet-5-5",
  haiku: "claude-haiku-5-5",
};

/**
 * Model tiers, cheapest first. A run's phases each run at a tier (PHASE_TIERS): Reason (the planning
 * pass) at `planning`, Act (build calls) and Verify (held-out judge, council, devil's advocate) at
 * `development`. `max_tier` caps every phase; `fast` is there for a user who lowers a phase to it.
 */
export const PHASE_TIERS: Readonly<Record<RunPhase, ModelTier>> = { reason: "planning", act: "development", verify: "development" };
/** The phase a provider call belongs to, by its role. */
export const ROLE_PHASE: Readonly<Record<Role | "plan", RunPhase>> = { plan: "reason", build: "act", review: "verify", judge: "verify" };

/** A provider's models per tier; `development` by the spec's complexity tier. */
export type ModelDefaults = Readonly<Record<ComplexityTier, string> & { planning: string; fast: string }>;

/**
 * Each provider's default models. Its record (src/providers/<id>.ts) exposes its row as `models`;
 * the row lives here because `plan`, `loop` and `run` resolve models by id, synchronously, without
 * loading provider modules. tests/providers/records.test.ts checks every row is priced.
 */
export const DEFAULT_MODELS: Readonly<Record<ProviderId, ModelDefaults>> = {
  claude: {
    planning: "claude-opus-5-5",
    simple: "claude-sonnet-5-5",
    standard: "claude-sonnet-5-5",
    complex: "claude-sonnet-5-5",
    fast: "claude-haiku-5-5",
  },
  codex: { planning: "gpt-6.1-sol", simple: "gpt-6.1-sol", standard: "gpt-6.1-sol", complex: "gpt-6.1-sol", fast: "gpt-5.6-terra" },
  cline: {
    planning: "claude-sonnet-4-5",
    simple: "claude-sonnet-4-5",
    standard: "claude-sonnet-4-5",
    complex: "claude-sonnet-4-5",
    fast: "claude-sonnet-4-5",
  },
  aider: {
    planning: "claude-sonnet-5-5",
    simple: "claude-sonnet-5-5",
    standard: "claude-sonnet-5-5",
    complex: "claude-sonnet-5-5",
    fast: "claude-sonnet-5-5",
  },
  opencode: {
    planning: "claude-sonnet-5-5",
    simple: "claude-sonnet-5-5",
    standard: "claude-sonnet-5-5",
    complex: "claude-sonnet-5-5",
    fast: "claude-sonnet-5-5",
  },
};

/**
 * `configured`: the user's model for every phase (--model, `model:`, LOKI_MODEL); `phase`: loki.yaml
 * `models.<phase>`, a tier name or a model, over it; `switched`: a model the dashboard switched the
 * run's build calls to, over both; `maxTier`: the ceiling every phase's model must sit under.
 */
export type ModelLevers = {
  configured?: string | undefined;
  phases?: Partial<Record<RunPhase, string>> | undefined;
  switched?: string | undefined;
  maxTier?: ModelTier | undefined;
  /** `providers.<id>`: LOKI_MODEL_OVERRIDE where a custom base URL is set, the provider's own model(s), its declared price. */
  providers?: Partial<Record<ProviderId, ProviderLevers>> | undefined;
};
export type ResolvedModel = {
  provider: ProviderId;
  model: string;
  tier: ModelTier;
  source: "override" | "switched" | "phase" | "provider" | "configured" | "default";
};

/**
 * The ONE function that decides which model a call runs: `plan`'s quote, the build call, the planning
 * pass, the judge, the reviewers and a failover all ask it, so what is quoted is what is dispatched.
 */
export function modelFor(input: { provider: ProviderId; tier: ComplexityTier; phase: RunPhase; levers?: ModelLevers }): ResolvedModel {
  const { provider, phase } = input;
  const levers = input.levers ?? {};
  const ceiling = levers.maxTier ?? "planning";
  const own = levers.providers?.[provider];
  // A custom endpoint serving one model (LOKI_MODEL_OVERRIDE), then the dashboard's switch.
  if (own?.override) return { provider, model: own.override, tier: capped(PHASE_TIERS[phase], ceiling), source: "override" };
  const switched = phase === "act" ? levers.switched : undefined;
  // A provider with models of its own (`providers.<id>.model(s)`) runs them, each at the tier the user named it for:
  // a global model (models.<phase>, model:, the dashboard's switch) is not sent to its endpoint, and no loki
  // default overrides them — a tier it names no model for takes its nearest one.
  const owned = own?.model !== undefined || own?.models !== undefined;
  // In precedence order; a model another vendor's provider runs (`--model opus` on a codex failover) is
  // not this provider's to run, and leaves the choice to the next lever.
  const candidates: [string | undefined, ResolvedModel["source"]][] = [
    [switched, "switched"],
    [levers.phases?.[phase], "phase"],
    [levers.configured, "configured"],
  ];
  const chosen = candidates.find(
    (c): c is [string, ResolvedModel["source"]] => c[0] !== undefined && runsOn(provider, c[0]) && (!owned || isTier(c[0])),
  );
  if (chosen && !isTier(chosen[0])) {
    const model = MODEL_ALIASES[chosen[0]] ?? chosen[0];
    const tier = tierOf(provider, model, own?.price);
    if (rank(tier) > rank(ceiling))
      throw configError(`${model} is a ${tier}-tier model, above max_tier ${ceiling} (set by ${LEVER_NAME[chosen[1]](phase)})`, {
        hint: `choose a model at or under the ${ceiling} tier, or raise max_tier (loki.yaml, LOKI_MAX_TIER)`,
      });
    return { provider, model, tier, source: chosen[1] };
  }
  const tier = capped(chosen ? (chosen[0] as ModelTier) : PHASE_TIERS[phase], ceiling);
  const mineAtTier = own?.models?.[tier] ?? own?.model ?? nearestOwn(own?.models, tier);
  if (mineAtTier) return { provider, model: mineAtTier, tier, source: "provider" };
  return { provider, model: tierModel(provider, tier, input.tier), tier, source: chosen ? chosen[1] : "default" };
}

/** The provider's own model nearest `tier`: the next cheaper tier first, then the next dearer. */
function nearestOwn(models: Partial<Record<ModelTier, string | undefined>> | undefined, tier: ModelTier): string | undefined {
  if (!models) return undefined;
  const at = rank(tier);
  const order = [...MODEL_TIERS.slice(0, at).reverse(), ...MODEL_TIERS.slice(at + 1)];
  return order.map((t) => models[t]).find((m) => m !== undefined);
}

const capped = (wanted: ModelTier, ceiling: ModelTier): ModelTier => (rank(wanted) > rank(ceiling) ? ceiling : wanted);

/** loki's default model for a provider at `tier` (development: by the spec's complexity). */
export function tierModel(provider: ProviderId, tier: ModelTier, complexity: ComplexityTier): string {
  const row = DEFAULT_MODELS[provider];
  return tier === "planning" ? row.planning : tier === "fast" ? row.fast : row[complexity];
}

/**
 * The tier a model sits at for a provider, by its price against the provider's tier models: above the
 * development model's output price is planning, above the fast model's is development, else fast.
 * A model with no listed price is counted as planning: a ceiling is never passed by an unknown.
 */
export function tierOf(provider: ProviderId, model: string, declared?: { output: number }): ModelTier {
  const price = declared?.output ?? PRICING.models[model]?.output;
  if (price === undefined) return "planning";
  const row = DEFAULT_MODELS[provider];
  const of = (m: string) => PRICING.models[m]?.output ?? Number.POSITIVE_INFINITY;
  if (price > Math.max(of(row.standard), of(row.complex))) return "planning";
  if (price > of(row.fast)) return "development";
  return "fast";
}

export function isTier(value: string): value is ModelTier {
  return (MODEL_TIERS as readonly string[]).includes(value);
}

const LEVER_NAME: Record<ResolvedModel["source"], (phase: RunPhase) => string> = {
  override: () => "LOKI_MODEL_OVERRIDE / model_override",
  provider: () => "providers.<id>.model",
  switched: () => "the model switch",
  phase: (phase) => `models.${phase}`,
  configured: () => "--model / model: / LOKI_MODEL",
  default: () => "the tier default",
};

const rank = (tier: ModelTier) => MODEL_TIERS.indexOf(tier);

/**
 * The levers a run's configuration sets (the dashboard's switch is the run's, not the config's). `env`
 * tells whether a provider has a custom base URL (ANTHROPIC_BASE_URL too): LOKI_MODEL_OVERRIDE needs one.
 */
export function configLevers(
  config: Pick<Config, "model" | "models" | "max_tier"> & Partial<Pick<Config, "providers" | "model_override">>,
  env: Record<string, string | undefined> = process.env,
): ModelLevers {
  const providers = providerLevers({ providers: config.providers ?? {}, model_override: config.model_override }, env);
  return { configured: config.model, phases: config.models, maxTier: config.max_tier, providers };
}

/**
 * The models a run on `provider` may switch to mid-run (the dashboard's model control): the priced
 * ones its default model's vendor offers, so the budget, the quote and the dispatch agree on a price.
 */
export function switchableModels(provider: string, maxTier: ModelTier = "planning"): string[] {
  const vendor = vendorOf(provider);
  if (!vendor) return [];
  return Object.entries(PRICING.models)
    .filter(([id, price]) => price.provider === vendor && rank(tierOf(provider as ProviderId, id)) <= rank(maxTier))
    .map(([id]) => id);
}

/**
 * The run's own provider must run what the user chose: `--provider codex --model opus` is refused (exit 3)
 * rather than quietly run codex's default. A failover provider just skips a choice it cannot run.
 */
export function assertChoicesRun(provider: ProviderId, levers: ModelLevers): void {
  const explicit: [string | undefined, string][] = [
    [levers.configured, "--model / model: / LOKI_MODEL"],
    ...(["reason", "act", "verify"] as const).map((phase): [string | undefined, string] => [levers.phases?.[phase], `models.${phase}`]),
  ];
  for (const [choice, lever] of explicit)
    if (choice !== undefined && !runsOn(provider, choice))
      throw configError(`${MODEL_ALIASES[choice] ?? choice} (${lever}) is not a model ${provider} runs`, {
        hint: `choose one of ${switchableModels(provider).join(", ")}, or a tier name (fast, development, planning)`,
      });
}

/**
 * Every call a run can make, checked before it spends or writes anything (start, and resume with the
 * settings the run kept): each phase on each provider of the chain, the fallback model on each, and the
 * model a resumed run's build calls are on. A ceiling or a choice refused here never stops a run midway.
 */
export function assertRunModels(
  chain: readonly ProviderId[],
  tier: ComplexityTier,
  config: Pick<Config, "model" | "models" | "max_tier" | "fallback_model"> & Partial<Pick<Config, "providers" | "model_override">>,
  current?: { provider: ProviderId; model: string },
): void {
  const levers = configLevers(config);
  const first = chain[0];
  if (first) assertChoicesRun(first, levers);
  for (const provider of chain) {
    for (const phase of ["reason", "act", "verify"] as const) modelFor({ provider, tier, phase, levers });
    if (config.fallback_model) {
      const fallback = { ...levers, configured: config.fallback_model, phases: {} };
      try {
        modelFor({ provider, tier, phase: "act", levers: fallback });
      } catch (error) {
        throw configError(`fallback_model: ${messageOf(error).replace(/ \(set by [^)]*\)$/, "")}`, {
          hint: `choose a fallback_model at or under max_tier ${config.max_tier}, or raise max_tier`,
        });
      }
    }
  }
  if (current) modelFor({ provider: current.provider, tier, phase: "act", levers: { ...levers, switched: current.model } });
}

/** Whose models a provider runs: its default model's vendor in the pricing table (cline runs claude's). */
function vendorOf(provider: string): string | undefined {
  const defaults = (DEFAULT_MODELS as Record<string, ModelDefaults | undefined>)[provider];
  return defaults ? PRICING.models[defaults.standard]?.provider : undefined;
}

/** A tier name, a model the table lists for the provider's vendor, or one it does not list (the user's call). */
function runsOn(provider: ProviderId, choice: string): boolean {
  if (isTier(choice)) return true;
  const listed = PRICING.models[MODEL_ALIASES[choice] ?? choice];
  return listed === undefined || listed.provider === vendorOf(provider);
}

export type Tokens = { input: number; output: number; cache_read: number; cache_write: number };
export type PricedCost = { usd: number; priced_as: string; basis: "table" | "fallback" | "declared" };
/** How one call's dollars were found: the CLI's own figure, loki's table or fallback, or the user's declared price. */
export type CallBasis = "exact" | "estimated" | "declared";
export type BillBasis = CallBasis | "mixed" | "none";

/**
 * Dollars for `tokens` on `model`. A price the user declared for the provider (`providers.<id>.price`,
 * 0 allowed) wins. A model missing from the table is priced as its provider's most expensive listed
 * model and marked "fallback": an unknown price is never $0.
 */
export function priceTokens(
  model: string,
  tokens: Tokens,
  provider?: ProviderId,
  declared?: { input: number; output: number },
): PricedCost {
  const listed = PRICING.models[model];
  const [pricedAs, price, basis] = declared
    ? [model, declared, "declared" as const]
    : listed
      ? [model, listed, "table" as const]
      : [...fallbackPrice(provider), "fallback" as const];
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

/** A bill's basis: exact or declared (every call), estimated (every call), mixed (some estimated), none. */
export function billBasis(entries: readonly { basis: CallBasis }[]): BillBasis {
  return basisOfCounts({
    calls: entries.length,
    estimated: entries.filter((e) => e.basis === "estimated").length,
    declared: entries.filter((e) => e.basis === "declared").length,
  });
}

/** The same from how many calls there were and how many of them were estimated or declared. */
export function basisOfCounts(counts: { calls: number; estimated: number; declared: number }): BillBasis {
  if (counts.calls === 0) return "none";
  if (counts.estimated > 0) return counts.estimated === counts.calls ? "estimated" : "mixed";
  return counts.declared > 0 ? "declared" : "exact";
}

function fallbackPrice(provider: ProviderId | undefined): [string, z.infer<typeof ModelPrice>] {
  const entries = Object.entries(PRICING.models);
  const pool = entries.filter(([, p]) => p.provider === provider);
  const sorted = (pool.length > 0 ? pool : entries).sort(([, a], [, b]) => b.output - a.output);
  const top = sorted[0];
  if (!top) throw new Error("pricing table is empty");
  return top;
}
