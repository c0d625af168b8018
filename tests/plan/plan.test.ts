// Complexity grading, the plan's quote, and drift detection against a lock — all pure.
import { describe, expect, test } from "bun:test";
import { modelFor, PRICING, priceTokens } from "../../src/core/models.ts";
import { Plan } from "../../src/core/schema.ts";
import { buildPlan } from "../../src/plan/plan.ts";
import { claude } from "../../src/providers/claude.ts";
import { buildLock, diffLock } from "../../src/spec/lock.ts";
import { acceptance, makeSpec } from "../helpers/spec.ts";

const NOW = new Date("2026-01-02T00:00:00Z");
const manyItems = (n: number) => acceptance(...Array.from({ length: n }, (_, i) => `Feature ${i} works end to end`));

describe("complexity", () => {
  test("a few items with nothing else is simple", () => {
    const spec = makeSpec(acceptance("A user can add a todo", "A user can delete a todo"));
    expect(spec.complexity.tier).toBe("simple");
  });

  test("items, endpoints, integrations, stores and services push the tier up, each with a reason", () => {
    const text =
      "Stripe and Slack and Twilio and SendGrid integrations. PostgreSQL, Redis and Elasticsearch. Frontend, REST API, background worker and Kafka.";
    const spec = makeSpec(manyItems(45), text, 25);
    expect(spec.complexity.tier).toBe("complex");
    expect(spec.complexity.reasons.join("\n")).toMatch(/45 acceptance items \(\+3\)/);
    expect(spec.complexity.reasons.join("\n")).toMatch(/25 API endpoints \(\+2\)/);
    expect(spec.stats.integrations).toEqual(["stripe", "twilio", "sendgrid", "slack"]);
    expect(spec.stats.data_stores).toEqual(["postgresql", "redis", "elasticsearch"]);
  });

  test("a name counts wherever its pattern occurs, also inside another name's phrase or right after it", () => {
    const stats = (text: string) => makeSpec(manyItems(1), text).stats;
    const overlapping = stats(
      "GitHub webhooks over AWS S3, OAuth2 and SSO; a background worker process, a job queue; Redis, then MongoDB.",
    );
    expect(overlapping.integrations).toEqual(["github api", "oauth", "s3", "webhooks", "sso"]);
    expect(overlapping.services).toEqual(["worker"]);
    expect(overlapping.data_stores).toEqual(["mongodb", "redis"]);
    const bounded = stats("xstripe stripes redis_cache docker-composer a microservice spa-like");
    expect([bounded.integrations, bounded.data_stores, bounded.services]).toEqual([[], [], ["frontend", "microservices"]]);
    expect(stats("React Native and iOS, Kafka via cron").services).toEqual(["queue", "scheduler", "mobile"]);
  });

  test("a moderate spec is standard", () => {
    const spec = makeSpec(manyItems(25), "The API uses PostgreSQL and Redis.");
    expect(spec.complexity.tier).toBe("standard");
  });
});

describe("buildPlan", () => {
  const base = { provider: "claude" as const, providerChosen: false, maxIterations: 25, heldOut: 2, installed: [], firstClass: claude };

  test("conforms to the documented schema and prices the model the loop will dispatch", () => {
    const spec = makeSpec(manyItems(10));
    const plan = Plan.parse(buildPlan(spec, { ...base, installed: ["claude"] }));
    const dispatched = modelFor({ provider: "claude", tier: spec.complexity.tier, phase: "act" });
    expect(plan.models.build).toBe(dispatched.model);
    expect(plan.cost.by_model.find((m) => m.selected)?.model).toBe(dispatched.model);
    expect(plan.cost.pricing_as_of).toBe(PRICING.as_of);
    expect(plan.items).toEqual({ total: 10, visible: 8, held_out: 2 });
    expect(plan.cost.usd.low).toBeLessThan(plan.cost.usd.estimate);
    expect(plan.cost.usd.estimate).toBeLessThan(plan.cost.usd.high);
    expect(plan.provider.recommended).toBe("claude");
  });

  test("costs follow the table: opus costs more than sonnet for the same work", () => {
    const spec = makeSpec(manyItems(10));
    const plan = buildPlan(spec, base);
    const opus = plan.cost.by_model.find((m) => m.model === "claude-opus-5-5")!;
    const sonnet = plan.cost.by_model.find((m) => m.model === "claude-sonnet-5-5")!;
    expect(opus.usd.estimate).toBeGreaterThan(sonnet.usd.estimate);
    const tokens = { input: 1_000_000, output: 1_000_000, cache_read: 0, cache_write: 0 };
    expect(priceTokens("claude-sonnet-5-5", tokens).usd).toBe(18);
    expect(priceTokens("claude-sonnet-5-5", { input: 0, output: 0, cache_read: 1_000_000, cache_write: 1_000_000 }).usd).toBeCloseTo(
      0.3 + 3.75,
    );
  });

  test("an unknown model is never free: priced at its provider's dearest model and flagged", () => {
    const plan = buildPlan(makeSpec(manyItems(5)), { ...base, levers: { configured: "claude-mystery-9" } });
    expect(plan.models.build).toBe("claude-mystery-9");
    expect(plan.cost.basis).toBe("fallback");
    expect(plan.cost.usd.estimate).toBeGreaterThan(0);
    expect(plan.warnings.join()).toMatch(/no price listed for claude-mystery-9/);
    expect(modelFor({ provider: "claude", tier: "simple", phase: "act", levers: { configured: "opus" } }).model).toBe("claude-opus-5-5");
  });

  test("iterations respect the cap", () => {
    const spec = makeSpec(manyItems(45), "stripe slack twilio sendgrid postgres redis mongodb", 30);
    const plan = buildPlan(spec, { ...base, maxIterations: 10 });
    expect(plan.iterations).toEqual({ low: 10, estimate: 10, high: 10, cap: 10 });
  });

  test("the recommended provider is the first installed unless one was chosen", () => {
    const spec = makeSpec(manyItems(3));
    expect(buildPlan(spec, { ...base, installed: ["codex", "aider"] }).provider.recommended).toBe("codex");
    expect(buildPlan(spec, { ...base, provider: "aider", providerChosen: true, installed: ["claude"] }).provider).toMatchObject({
      recommended: "aider",
      reason: expect.stringContaining("not installed"),
    });
    expect(buildPlan(spec, base).provider.reason).toMatch(/npm install -g @anthropic-ai\/claude-code/);
  });
});

describe("drift", () => {
  const v1 = makeSpec(acceptance("Users can sign up with email", "Users can log in", "Passwords are hashed with bcrypt"));

  test("an unchanged spec is in sync", () => {
    const report = diffLock(buildLock(v1, NOW), v1, NOW);
    expect(report.in_sync).toBe(true);
  });

  test("added, removed and reworded items are reported as such", () => {
    const v2 = makeSpec(
      acceptance("Users can sign up with email or phone", "Passwords are hashed with bcrypt", "Users can reset a password"),
    );
    const report = diffLock(buildLock(v1, NOW), v2, NOW);
    expect(report.in_sync).toBe(false);
    expect(report.changed.map((c) => [c.before, c.after])).toEqual([
      ["Users can sign up with email", "Users can sign up with email or phone"],
    ]);
    expect(report.removed.map((r) => r.text)).toEqual(["Users can log in"]);
    expect(report.added.map((a) => a.text)).toEqual(["Users can reset a password"]);
  });

  test("a case or punctuation edit keeps the id but is still a change", () => {
    const v2 = makeSpec(acceptance("users can sign up with email.", "Users can log in", "Passwords are hashed with bcrypt"));
    const report = diffLock(buildLock(v1, NOW), v2, NOW);
    expect(report.changed).toEqual([
      { id: v1.items[0]!.id, new_id: v1.items[0]!.id, before: "Users can sign up with email", after: "users can sign up with email." },
    ]);
  });
});

describe("complexity reads only what is in scope", () => {
  test("integrations named under Non-goals or Out of scope do not count", async () => {
    const { parseMarkdown } = await import("../../src/spec/markdown.ts");
    const { specStats } = await import("../../src/spec/complexity.ts");
    const prd =
      "# App\n\n## Acceptance criteria\n- [ ] Login with Stripe billing\n\n## Non-goals\n- OAuth, Slack or Twilio\n\n## Out of scope\n- A PostgreSQL backend\n";
    const stats = specStats(parseMarkdown(prd, "prd.md"));
    expect(stats.integrations).toEqual(["stripe"]);
    expect(stats.data_stores).toEqual([]);
  });
});
