// Spec → Plan: the honest quote (iterations, tokens, dollars per model, time, provider). Pure:
// prices come from the one dated table in src/data/pricing.json via core/models.ts.
import { vagueWarning } from "./vague.ts";
import type { ProviderId } from "../core/config.ts";
import { modelFor, PRICING, priceTokens, type ModelLevers, type Tokens } from "../core/models.ts";
import { plannerRuns, type PlannerMode } from "./planner-policy.ts";
import { PROVIDER_IDS } from "../core/provider-ids.ts";
import { SCHEMA_VERSION, type ComplexityTier, type Plan, type Spec } from "../core/schema.ts";

export type PlanInput = {
  provider: ProviderId;
  /** The provider was chosen by flag, env or config file (not the built-in default). */
  providerChosen: boolean;
  /** Every model lever the run's configuration sets (core/models.ts modelFor decides the models). */
  levers?: ModelLevers;
  /** Default auto: standard and complex specs get a planning pass. */
  planner?: PlannerMode;
  maxIterations: number;
  heldOut: number;
  /** Provider CLIs found on this machine, in preference order. */
  installed: ProviderId[];
  /** From the first-class provider's record (PROVIDER_IDS[0]): named when it is not installed. */
  firstClass: { id: ProviderId; title: string; install: string };
  /** Each provider's custom endpoint (its origin), when it has one (core/endpoints.ts). */
  endpoints?: Partial<Record<ProviderId, string>>;
};

const ITERATIONS: Record<ComplexityTier, [number, number]> = { simple: [2, 5], standard: [5, 12], complex: [12, 25] };
const MINUTES_PER_ITERATION: Record<ComplexityTier, number> = { simple: 3, standard: 5, complex: 8 };
const SHIP_GATE_ATTEMPTS: Record<ComplexityTier, number> = { simple: 1, standard: 2, complex: 3 };
const SHIP_GATE_MINUTES = 2;
const PLANNING_MINUTES = 2;
/** One build iteration: the agent re-reads the repo from cache, writes fresh context and code. */
const ITERATION_TOKENS: Record<ComplexityTier, Tokens> = {
  simple: { input: 15_000, cache_read: 60_000, cache_write: 10_000, output: 6_000 },
  standard: { input: 20_000, cache_read: 120_000, cache_write: 15_000, output: 10_000 },
  complex: { input: 30_000, cache_read: 250_000, cache_write: 25_000, output: 16_000 },
};
/** One ship-gate attempt: held-out judge, three reviewers and a devil's advocate (4.5 calls on average). */
const SHIP_GATE_TOKENS: Tokens = { input: 45_000, cache_read: 135_000, cache_write: 36_000, output: 9_000 };
/** The planning pass: one read-only call that reads the spec and the repository's layout, and writes a task
 *  graph and an architecture note. Its input grows with the spec (≈ 1.4 tokens a word), the rest does not. */
const PLANNING_TOKENS: Tokens = { input: 8_000, cache_read: 30_000, cache_write: 8_000, output: 3_000 };
export function planningTokensFor(spec: Pick<Spec, "stats">): Tokens {
  return { ...PLANNING_TOKENS, input: PLANNING_TOKENS.input + Math.ceil(spec.stats.words * 1.4) };
}

export function buildPlan(spec: Spec, input: PlanInput): Plan {
  const tier = spec.complexity.tier;
  const cap = input.maxIterations;
  const [min, max] = ITERATIONS[tier];
  const iterations = { low: Math.min(min, cap), estimate: Math.min(Math.round((min + max) / 2), cap), high: Math.min(max, cap), cap };
  const provider = recommendProvider(input);
  const levers = input.levers ?? {};
  const build = modelFor({ provider: provider.id, tier, phase: "act", levers });
  const review = modelFor({ provider: provider.id, tier, phase: "verify", levers });
  const planning = plannerRuns(input.planner ?? "auto", tier) ? modelFor({ provider: provider.id, tier, phase: "reason", levers }) : null;
  const gates = SHIP_GATE_ATTEMPTS[tier];
  const planningTokens = planningTokensFor(spec);
  // A price the user declared for the provider prices every model it runs (the dispatch bills at it too).
  const declared = levers.providers?.[provider.id]?.price;
  const price = (model: string, tokens: Tokens) => priceTokens(model, tokens, provider.id, declared);
  const planningUsd = (model: string | null) => (model ? price(model, planningTokens).usd : 0);
  const quote = (buildModel: string, reviewModel: string, planModel: string | null, n: number) =>
    planningUsd(planModel) +
    price(buildModel, scale(ITERATION_TOKENS[tier], n)).usd +
    price(reviewModel, scale(SHIP_GATE_TOKENS, gates)).usd;
  const range = (buildModel: string, reviewModel: string, planModel: string | null) => ({
    low: cents(quote(buildModel, reviewModel, planModel, iterations.low)),
    estimate: cents(quote(buildModel, reviewModel, planModel, iterations.estimate)),
    high: cents(quote(buildModel, reviewModel, planModel, iterations.high)),
  });
  // The table's alternatives, unless the provider runs models of its own or at a declared price (an endpoint of the user's).
  const own = levers.providers?.[provider.id];
  const familyModels =
    declared || own?.model || own?.models || own?.override
      ? []
      : Object.entries(PRICING.models)
          .filter(([, price]) => price.provider === provider.id)
          .map(([model]) => model);
  const byModel = [...new Set([build.model, ...familyModels])].map((model) => ({
    model,
    usd: model === build.model ? range(build.model, review.model, planning?.model ?? null) : range(model, model, planning ? model : null),
    selected: model === build.model,
  }));
  const warnings = [...spec.warnings];
  const vague = vagueWarning(spec);
  if (vague) warnings.push(vague);
  const basis = price(build.model, ITERATION_TOKENS[tier]).basis;
  if (basis === "fallback")
    warnings.push(`no price listed for ${build.model}; quoted at the most expensive ${provider.id} model in the table`);
  const minutes = (n: number) => n * MINUTES_PER_ITERATION[tier] + gates * SHIP_GATE_MINUTES + (planning ? PLANNING_MINUTES : 0);
  return {
    schema_version: SCHEMA_VERSION,
    spec: { title: spec.title, kind: spec.source.kind, ref: spec.source.ref, sha256: spec.source.sha256 },
    items: { total: spec.items.length, visible: spec.items.length - input.heldOut, held_out: input.heldOut },
    complexity: spec.complexity,
    stats: spec.stats,
    iterations,
    models: {
      provider: provider.id,
      build: build.model,
      review: review.model,
      plan: planning?.model ?? null,
      source: build.source,
      tiers: { act: build.tier, verify: review.tier, reason: planning?.tier ?? null },
      max_tier: levers.maxTier ?? "planning",
      ...(input.endpoints?.[provider.id] ? { endpoint: input.endpoints[provider.id] } : {}),
    },
    tokens: {
      planning: planning ? planningTokens : null,
      per_iteration: ITERATION_TOKENS[tier],
      ship_gate_per_attempt: SHIP_GATE_TOKENS,
      ship_gate_attempts: gates,
      total_estimate: add(
        add(scale(ITERATION_TOKENS[tier], iterations.estimate), scale(SHIP_GATE_TOKENS, gates)),
        planning ? planningTokens : scale(planningTokens, 0),
      ),
    },
    cost: {
      currency: "USD",
      pricing_as_of: PRICING.as_of,
      usd: range(build.model, review.model, planning?.model ?? null),
      basis,
      by_model: byModel,
      planning_usd: cents(planningUsd(planning?.model ?? null)),
      without_planning: range(build.model, review.model, null),
    },
    time: { minutes: { low: minutes(iterations.low), estimate: minutes(iterations.estimate), high: minutes(iterations.high) } },
    provider: { recommended: provider.id, reason: provider.reason, installed: input.installed },
    warnings,
  };
}

function recommendProvider(input: PlanInput): { id: ProviderId; reason: string } {
  if (input.providerChosen) {
    const note = input.installed.includes(input.provider) ? "" : " (not installed here: see `loki doctor`)";
    return { id: input.provider, reason: `chosen in configuration or flags${note}` };
  }
  const best = input.firstClass;
  const first = PROVIDER_IDS.find((id) => input.installed.includes(id));
  if (first)
    return {
      id: first,
      reason:
        first === best.id
          ? `${best.title} is installed (loki's first-class provider)`
          : `${first} is the first installed provider (${best.title} not found)`,
    };
  return { id: best.id, reason: `no provider CLI found; install ${best.title}: ${best.install}` };
}

function scale(tokens: Tokens, n: number): Tokens {
  return { input: tokens.input * n, output: tokens.output * n, cache_read: tokens.cache_read * n, cache_write: tokens.cache_write * n };
}

function add(a: Tokens, b: Tokens): Tokens {
  return {
    input: a.input + b.input,
    output: a.output + b.output,
    cache_read: a.cache_read + b.cache_read,
    cache_write: a.cache_write + b.cache_write,
  };
}

const cents = (usd: number) => Math.round(usd * 100) / 100;
