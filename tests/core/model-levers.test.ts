// Which model each phase runs (core/models.ts modelFor and its levers: switch, phase override, pin, max_tier)
// and that `plan`'s quote (plan/plan.ts buildPlan) names and prices exactly those models, planning pass included.
import { describe, expect, test } from "bun:test";
import { LokiError } from "../../src/core/errors.ts";
import {
  assertChoicesRun,
  configLevers,
  DEFAULT_MODELS,
  MODEL_TIERS,
  type ModelLevers,
  modelFor,
  PHASE_TIERS,
  type RunPhase,
  ROLE_PHASE,
  tierModel,
  tierOf,
} from "../../src/core/models.ts";
import { PROVIDER_IDS } from "../../src/core/provider-ids.ts";
import type { ComplexityTier } from "../../src/core/schema.ts";
import { buildPlan, type PlanInput } from "../../src/plan/plan.ts";
import { claude } from "../../src/providers/claude.ts";
import { acceptance, makeSpec } from "../helpers/spec.ts";

const PHASES: RunPhase[] = ["reason", "act", "verify"];
const COMPLEXITIES: ComplexityTier[] = ["simple", "standard", "complex"];
const OPUS = "claude-opus-5-5";
const SONNET = "claude-sonnet-5-5";
const HAIKU = "claude-haiku-5-5";
const UNPRICED = "claude-mystery-9";

const on = (phase: RunPhase, levers: ModelLevers = {}, tier: ComplexityTier = "standard") =>
  modelFor({ provider: "claude", tier, phase, levers });

/** The error modelFor throws, or a failure when it does not throw one. */
function refusal(run: () => unknown): LokiError {
  try {
    run();
  } catch (error) {
    if (error instanceof LokiError) return error;
    throw error;
  }
  throw new Error("expected a refusal, got a model");
}

describe("defaults", () => {
  test("for every provider, phase and complexity, the default is the phase tier's model", () => {
    for (const provider of PROVIDER_IDS)
      for (const phase of PHASES)
        for (const tier of COMPLEXITIES)
          expect(modelFor({ provider, tier, phase })).toEqual({
            provider,
            model: tierModel(provider, PHASE_TIERS[phase], tier),
            tier: PHASE_TIERS[phase],
            source: "default",
          });
  });

  test("on claude: planning pass on opus, build and review on sonnet", () => {
    expect(PHASE_TIERS).toEqual({ reason: "planning", act: "development", verify: "development" });
    expect([on("reason").model, on("act").model, on("verify").model]).toEqual([OPUS, SONNET, SONNET]);
  });

  test("tierModel reads the provider's row: planning, fast, else the spec's complexity", () => {
    for (const provider of PROVIDER_IDS) {
      const row = DEFAULT_MODELS[provider];
      expect(tierModel(provider, "planning", "simple")).toBe(row.planning);
      expect(tierModel(provider, "fast", "complex")).toBe(row.fast);
      for (const c of COMPLEXITIES) expect(tierModel(provider, "development", c)).toBe(row[c]);
    }
  });

  test("tierOf ranks a model by its price against the provider's tier models", () => {
    expect([OPUS, "claude-fable-5-2", SONNET, "claude-sonnet-4-5", HAIKU].map((m) => tierOf("claude", m))).toEqual([
      "planning",
      "planning",
      "development",
      "development",
      "fast",
    ]);
    expect(["gpt-6.1-sol", "gpt-5.6-terra", "gpt-5.6-luna"].map((m) => tierOf("codex", m))).toEqual(["development", "fast", "fast"]);
  });

  test("a tier's own default model, named explicitly, passes under that tier's ceiling", () => {
    for (const provider of PROVIDER_IDS)
      for (const maxTier of MODEL_TIERS)
        for (const tier of COMPLEXITIES) {
          const configured = tierModel(provider, maxTier, tier);
          expect(modelFor({ provider, tier, phase: "act", levers: { configured, maxTier } }).model).toBe(configured);
        }
  });
});

describe("precedence: switched (act only) > phase override > configured pin > default", () => {
  const all: ModelLevers = { switched: HAIKU, phases: { act: OPUS, verify: "claude-sonnet-4-5" }, configured: "claude-fable-5-2" };

  test("the switch decides build calls only", () => {
    expect(on("act", all)).toMatchObject({ model: HAIKU, source: "switched", tier: "fast" });
    expect(on("verify", { switched: HAIKU })).toMatchObject({ model: SONNET, source: "default" });
    expect(on("reason", { switched: HAIKU })).toMatchObject({ model: OPUS, source: "default" });
  });

  test("a phase override beats the pin; the pin holds for phases without one", () => {
    expect(on("verify", all)).toMatchObject({ model: "claude-sonnet-4-5", source: "phase" });
    expect(on("act", { ...all, switched: undefined })).toMatchObject({ model: OPUS, source: "phase", tier: "planning" });
    expect(on("reason", all)).toMatchObject({ model: "claude-fable-5-2", source: "configured", tier: "planning" });
  });

  test("the pin beats the default in every phase", () => {
    for (const phase of PHASES)
      expect(on(phase, { configured: HAIKU })).toMatchObject({ model: HAIKU, source: "configured", tier: "fast" });
  });

  test("a phase override may be a tier name, a model, or an alias", () => {
    expect(on("reason", { phases: { reason: "fast" } })).toEqual({ provider: "claude", model: HAIKU, tier: "fast", source: "phase" });
    expect(on("act", { phases: { act: "planning" } })).toMatchObject({ model: OPUS, tier: "planning", source: "phase" });
    expect(on("verify", { phases: { verify: "claude-sonnet-4-5" } })).toMatchObject({ model: "claude-sonnet-4-5", source: "phase" });
    expect(on("reason", { phases: { reason: "opus" } })).toMatchObject({ model: OPUS, tier: "planning", source: "phase" });
    expect(on("act", { configured: "haiku" }).model).toBe(HAIKU);
    expect(on("act", { switched: "sonnet" }).model).toBe(SONNET);
  });

  test("another vendor's model is not this provider's to run: a failover skips it, the run's own provider refuses it", () => {
    // `--model opus` with a codex failover: codex runs its own tier model, never claude-opus-5-5.
    const codex = modelFor({ provider: "codex", tier: "standard", phase: "act", levers: { configured: "opus" } });
    expect(codex).toMatchObject({ model: "gpt-6.1-sol", source: "default" });
    expect(on("verify", { phases: { verify: "gpt-5.6-luna" }, configured: "haiku" })).toMatchObject({ model: HAIKU, source: "configured" });
    expect(() => assertChoicesRun("codex", { configured: "opus" })).toThrow(/claude-opus-5-5 \(--model .*\) is not a model codex runs/);
    expect(() => assertChoicesRun("claude", { phases: { verify: "gpt-5.6-luna" } })).toThrow(/models\.verify/);
    // A tier name, a model of its vendor, or an unpriced model the user names are all runnable.
    expect(() => assertChoicesRun("claude", { configured: "fast", phases: { act: "claude-next-9" } })).not.toThrow();
  });

  test("a tier name given as the pin is reported as the pin, not as a phase override", () => {
    expect(on("act", { configured: "fast" })).toMatchObject({ model: HAIKU, tier: "fast", source: "configured" });
  });
});

describe("max_tier", () => {
  test("caps the tier defaults: the planning pass on claude under development runs sonnet", () => {
    expect(on("reason", { maxTier: "development" })).toEqual({ provider: "claude", model: SONNET, tier: "development", source: "default" });
    expect(on("act", { maxTier: "development" }).model).toBe(SONNET);
    for (const phase of PHASES) expect(on(phase, { maxTier: "fast" })).toMatchObject({ model: HAIKU, tier: "fast" });
  });

  test("caps a phase override given as a tier name", () => {
    expect(on("act", { phases: { act: "planning" }, maxTier: "development" })).toMatchObject({ model: SONNET, tier: "development" });
  });

  test.each([
    ["the pin", { configured: "opus" }, "act", /--model/],
    ["a phase override", { phases: { reason: OPUS } }, "reason", /models\.reason/],
    ["the model switch", { switched: OPUS }, "act", /model switch/],
  ] as [string, ModelLevers, RunPhase, RegExp][])("refuses an explicit model above it, set by %s", (_name, levers, phase, lever) => {
    const error = refusal(() => on(phase, { ...levers, maxTier: "development" }));
    expect(error.kind).toBe("config");
    expect(error.message).toMatch(/max_tier development/);
    expect(error.message).toMatch(new RegExp(OPUS));
    expect(error.message).toMatch(lever);
    expect(error.hint).toMatch(/max_tier/);
  });

  test("a model at or under the ceiling is allowed; one above a fast ceiling is refused", () => {
    expect(on("act", { configured: SONNET, maxTier: "development" }).model).toBe(SONNET);
    expect(on("act", { configured: HAIKU, maxTier: "fast" }).model).toBe(HAIKU);
    expect(refusal(() => on("act", { configured: SONNET, maxTier: "fast" })).message).toMatch(
      /development-tier model, above max_tier fast/,
    );
  });

  test("a refused lever in one phase does not touch the others", () => {
    const levers: ModelLevers = { phases: { reason: OPUS }, maxTier: "development" };
    expect(on("act", levers).model).toBe(SONNET);
    expect(() => on("reason", levers)).toThrow(LokiError);
  });

  test("an unpriced model counts as planning tier: refused under any lower ceiling", () => {
    expect(tierOf("claude", UNPRICED)).toBe("planning");
    expect(on("act", { configured: UNPRICED })).toMatchObject({ model: UNPRICED, tier: "planning", source: "configured" });
    for (const maxTier of ["development", "fast"] as const) {
      const error = refusal(() => on("act", { configured: UNPRICED, maxTier }));
      expect(error.kind).toBe("config");
      expect(error.message).toMatch(new RegExp(`planning-tier model, above max_tier ${maxTier}`));
    }
  });
});

describe("configLevers and ROLE_PHASE", () => {
  test("the config's model, models and max_tier are the pin, the phase overrides and the ceiling", () => {
    const levers = configLevers({ model: "haiku", models: { reason: "development" }, max_tier: "development" });
    expect(levers).toEqual({ configured: "haiku", phases: { reason: "development" }, maxTier: "development", providers: {} });
    expect(on("reason", levers)).toMatchObject({ model: SONNET, source: "phase" });
    expect(on("act", levers)).toMatchObject({ model: HAIKU, source: "configured" });
  });

  test("a role resolves by its phase: build → act, review and judge → verify", () => {
    const levers: ModelLevers = { phases: { act: "fast", verify: OPUS } };
    const byRole = (role: keyof typeof ROLE_PHASE, l: ModelLevers) =>
      modelFor({ provider: "claude", tier: "simple", phase: ROLE_PHASE[role], levers: l });
    expect(byRole("build", levers).model).toBe(HAIKU);
    expect(byRole("review", levers).model).toBe(OPUS);
    expect(byRole("judge", levers).model).toBe(OPUS);
    expect(byRole("judge", { configured: "haiku" })).toMatchObject({
      model: HAIKU,
      source: "configured",
    });
    expect(ROLE_PHASE).toEqual({ plan: "reason", build: "act", review: "verify", judge: "verify" });
  });
});

describe("buildPlan quotes the models modelFor picks", () => {
  const simple = makeSpec(acceptance("A user can add a todo", "A user can delete a todo"));
  const standard = makeSpec(
    acceptance(...Array.from({ length: 25 }, (_, i) => `Feature ${i} works end to end`)),
    "The API uses PostgreSQL and Redis.",
  );
  const input = (provider: PlanInput["provider"], levers?: ModelLevers): PlanInput => ({
    provider,
    providerChosen: true,
    levers,
    maxIterations: 25,
    heldOut: 0,
    installed: [provider],
    firstClass: claude,
  });
  const LEVERS: [string, ModelLevers | undefined][] = [
    ["no levers", undefined],
    ["a pin", { configured: "haiku" }],
    ["an unpriced pin", { configured: UNPRICED }],
    ["phase overrides", { phases: { reason: "development", act: "fast", verify: OPUS } }],
    ["a switch", { switched: HAIKU, configured: OPUS }],
    ["max_tier development", { maxTier: "development" }],
    ["max_tier fast", { maxTier: "fast" }],
  ];

  test("the specs are graded as this file assumes", () => {
    expect([simple.complexity.tier, standard.complexity.tier]).toEqual(["simple", "standard"]);
  });

  test.each(LEVERS)("with %s, plan/build/review are modelFor's reason/act/verify", (_name, levers) => {
    const tier = standard.complexity.tier;
    const plan = buildPlan(standard, input("claude", levers));
    const want = (phase: RunPhase) => modelFor({ provider: "claude", tier, phase, levers });
    expect(plan.models).toMatchObject({
      provider: "claude",
      plan: want("reason").model,
      build: want("act").model,
      review: want("verify").model,
      source: want("act").source,
      tiers: { reason: want("reason").tier, act: want("act").tier, verify: want("verify").tier },
      max_tier: levers?.maxTier ?? "planning",
    });
    const simplePlan = buildPlan(simple, input("claude", levers));
    expect(simplePlan.models).toMatchObject({ plan: null, build: want("act").model, review: want("verify").model });
  });

  test("for every provider, the quote's models are modelFor's", () => {
    for (const provider of PROVIDER_IDS) {
      const plan = buildPlan(standard, input(provider));
      const want = (phase: RunPhase) => modelFor({ provider, tier: "standard", phase }).model;
      expect([plan.models.plan, plan.models.build, plan.models.review]).toEqual([want("reason"), want("act"), want("verify")]);
    }
  });

  test("a lever modelFor refuses is refused by the quote too", () => {
    expect(() => buildPlan(simple, input("claude", { configured: OPUS, maxTier: "development" }))).toThrow(/max_tier development/);
  });

  test("a simple spec quotes no planning pass", () => {
    const plan = buildPlan(simple, input("claude"));
    expect(plan.models.plan).toBeNull();
    expect(plan.models.tiers.reason).toBeNull();
    expect(plan.tokens.planning).toBeNull();
    expect(plan.cost.planning_usd).toBe(0);
    expect(plan.cost.usd).toEqual(plan.cost.without_planning);
  });

  test("a standard spec quotes one, and it adds at most 5% to the estimate, for every provider", () => {
    for (const provider of PROVIDER_IDS) {
      const plan = buildPlan(standard, input(provider));
      expect(plan.models.plan).not.toBeNull();
      expect(plan.tokens.planning).not.toBeNull();
      expect(plan.cost.planning_usd).toBeGreaterThan(0);
      expect(plan.cost.usd.estimate).toBeGreaterThan(plan.cost.without_planning.estimate);
      expect(Math.abs(plan.cost.usd.estimate - plan.cost.without_planning.estimate - plan.cost.planning_usd)).toBeLessThanOrEqual(0.011);
      expect(plan.cost.planning_usd / plan.cost.without_planning.estimate).toBeLessThanOrEqual(0.05);
    }
  });

  test("planner mode overrides the tier: on plans a simple spec, off skips a standard one", () => {
    expect(buildPlan(simple, { ...input("claude"), planner: "on" }).models.plan).toBe(OPUS);
    const off = buildPlan(standard, { ...input("claude"), planner: "off" });
    expect(off.models.plan).toBeNull();
    expect(off.cost.usd).toEqual(off.cost.without_planning);
  });
});
