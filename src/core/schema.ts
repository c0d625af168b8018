// zod schemas: the one definition of every shape persisted under .loki/ or passed between stages.
// A schema and its type share one PascalCase name. No I/O here; no imports from other src folders.
import { z } from "zod";
import { MODEL_TIERS } from "./model-tiers.ts";
import { lazySchema } from "./lazy-schema.ts";

/**
 * Parse option for a schema parsed a few times per process: zod's eval fast path costs more to
 * generate (a function per object schema, on its first parse) than it saves on so few parses.
 */
export const JITLESS = { jitless: true } as const;
export const SCHEMA_VERSION = 1 as const;
export const Version = lazySchema(() => z.literal(SCHEMA_VERSION));
export const Sha256 = lazySchema(() => z.string().regex(/^[0-9a-f]{64}$/, "expected a sha256 hex digest"));
export const IsoTime = lazySchema(() => z.string().min(1));

export const Tracker = lazySchema(() => z.enum(["github", "gitlab", "jira", "azure"]));
export type Tracker = z.infer<typeof Tracker>;

export const SpecSourceKind = lazySchema(() => z.enum(["markdown", "json", "yaml", "openapi", "brief", "openspec", "issue"]));
export type SpecSourceKind = z.infer<typeof SpecSourceKind>;

export const SpecSource = lazySchema(() =>
  z.object({
    kind: SpecSourceKind,
    /** What the user passed: a path, a URL, `owner/repo#N`, or the brief itself (truncated). */
    ref: z.string(),
    /** Absolute path of the file or directory, for file-based kinds. */
    path: z.string().optional(),
    tracker: Tracker.optional(),
    url: z.string().optional(),
    /** sha256 of the raw spec content (all files, in order, for a directory). */
    sha256: Sha256,
  }),
);
export type SpecSource = z.infer<typeof SpecSource>;

export const SpecItemKind = lazySchema(() => z.enum(["acceptance", "requirement", "task", "operation", "scenario", "brief"]));
export type SpecItemKind = z.infer<typeof SpecItemKind>;

export const Operation = lazySchema(() =>
  z.object({
    method: z.string(),
    path: z.string(),
    responses: z.array(z.string()),
  }),
);
export type Operation = z.infer<typeof Operation>;

export const SpecItem = lazySchema(() =>
  z.object({
    /** Stable: same text gives the same id on every run and machine; duplicates get -2, -3… */
    id: z.string().min(1),
    text: z.string().min(1),
    kind: SpecItemKind,
    section: z.string().optional(),
    /** A parent bullet or feature the item belongs to. */
    group: z.string().optional(),
    source: z.object({
      file: z.string().optional(),
      line: z.number().int().positive().optional(),
    }),
    /** An executable check the spec attaches to the item (`verify:`). */
    verify: z.string().optional(),
    operation: Operation.optional(),
  }),
);
export type SpecItem = z.infer<typeof SpecItem>;

export const SpecSection = lazySchema(() => z.object({ title: z.string(), level: z.number().int(), line: z.number().int() }));
export type SpecSection = z.infer<typeof SpecSection>;

export const SpecStats = lazySchema(() =>
  z.object({
    words: z.number().int().nonnegative(),
    lines: z.number().int().nonnegative(),
    sections: z.number().int().nonnegative(),
    items: z.number().int().nonnegative(),
    endpoints: z.number().int().nonnegative(),
    integrations: z.array(z.string()),
    data_stores: z.array(z.string()),
    services: z.array(z.string()),
  }),
);
export type SpecStats = z.infer<typeof SpecStats>;

export const ComplexityTier = lazySchema(() => z.enum(["simple", "standard", "complex"]));
export type ComplexityTier = z.infer<typeof ComplexityTier>;

export const Complexity = lazySchema(() =>
  z.object({
    tier: ComplexityTier,
    score: z.number(),
    reasons: z.array(z.string()),
  }),
);
export type Complexity = z.infer<typeof Complexity>;

export const Spec = lazySchema(() =>
  z.object({
    schema_version: Version,
    title: z.string(),
    summary: z.string().optional(),
    source: SpecSource,
    sections: z.array(SpecSection),
    items: z.array(SpecItem),
    stats: SpecStats,
    complexity: Complexity,
    warnings: z.array(z.string()),
    parsed_at: IsoTime,
  }),
);
export type Spec = z.infer<typeof Spec>;

export const ItemStatus = lazySchema(() => z.enum(["pending", "met", "failing", "unknown"]));
export const ChecklistItem = lazySchema(() =>
  z.object({
    id: z.string(),
    text: z.string(),
    kind: SpecItemKind,
    section: z.string().optional(),
    source_line: z.number().int().optional(),
    status: ItemStatus,
  }),
);
export type ChecklistItem = z.infer<typeof ChecklistItem>;

/** The visible checklist: held-out items are never listed here, only counted. */
export const Checklist = lazySchema(() =>
  z.object({
    schema_version: Version,
    spec_sha256: Sha256,
    items: z.array(ChecklistItem),
    held_out_count: z.number().int().nonnegative(),
    updated_at: IsoTime,
  }),
);
export type Checklist = z.infer<typeof Checklist>;

/** checklist/held-out.json: the commitment. Names no item. */
export const HeldOutCommitment = lazySchema(() =>
  z.object({
    schema_version: Version,
    run_id: z.string(),
    algorithm: z.literal("sha256-rank/v1"),
    total_items: z.number().int().nonnegative(),
    count: z.number().int().nonnegative(),
    /** sha256(`${salt}\n${id}\n${text}`) per held-out item, in selection order. */
    commitments: z.array(Sha256),
    /** sha256 of the canonical store file: binds the reveal to this commitment. */
    store_sha256: Sha256,
    created_at: IsoTime,
  }),
);
export type HeldOutCommitment = z.infer<typeof HeldOutCommitment>;

/** ~/.loki/heldout/<project>/<run>.json: the hidden items themselves (outside the work tree). */
export const HeldOutStore = lazySchema(() =>
  z.object({
    schema_version: Version,
    run_id: z.string(),
    project: z.string(),
    salt: z.string().regex(/^[0-9a-f]{32}$/),
    items: z.array(z.object({ id: z.string(), text: z.string(), verify: z.string().optional() })),
    created_at: IsoTime,
  }),
);
export type HeldOutStore = z.infer<typeof HeldOutStore>;

export const LockedItem = lazySchema(() =>
  z.object({
    id: z.string(),
    sha256: Sha256,
    text: z.string(),
    section: z.string().optional(),
  }),
);
export type LockedItem = z.infer<typeof LockedItem>;

export const SpecLock = lazySchema(() =>
  z.object({
    schema_version: Version,
    locked_at: IsoTime,
    source: SpecSource,
    items: z.array(LockedItem),
  }),
);
export type SpecLock = z.infer<typeof SpecLock>;

export const DriftReport = lazySchema(() =>
  z.object({
    schema_version: Version,
    checked_at: IsoTime,
    in_sync: z.boolean(),
    source_ref: z.string(),
    locked_sha256: Sha256,
    current_sha256: Sha256,
    added: z.array(z.object({ id: z.string(), text: z.string() })),
    removed: z.array(z.object({ id: z.string(), text: z.string() })),
    changed: z.array(z.object({ id: z.string(), new_id: z.string(), before: z.string(), after: z.string() })),
  }),
);
export type DriftReport = z.infer<typeof DriftReport>;

/** Spec drift as spec/drift.ts checks it for every caller (the spec_drift gate, `loki spec status`). */
export const SpecDrift = lazySchema(() =>
  z.discriminatedUnion("state", [
    /** No `loki spec lock` here. */
    z.object({ state: z.literal("unlocked") }),
    /** Locked, deliberately not read again (the loop does not re-fetch an issue): the reason. */
    z.object({ state: z.literal("not_rechecked"), source_kind: SpecSourceKind, source_ref: z.string(), reason: z.string() }),
    /** The lock or its spec could not be read (null source: the lock itself): the reason. */
    z.object({
      state: z.literal("unreadable"),
      source_kind: SpecSourceKind.nullable(),
      source_ref: z.string().nullable(),
      reason: z.string(),
    }),
    /** Read again and compared with the lock. */
    z.object({ state: z.literal("checked"), source_kind: SpecSourceKind, report: DriftReport }),
  ]),
);
export type SpecDrift = z.infer<typeof SpecDrift>;

export const TokenCounts = lazySchema(() =>
  z.object({
    input: z.number().nonnegative(),
    output: z.number().nonnegative(),
    cache_read: z.number().nonnegative(),
    cache_write: z.number().nonnegative(),
  }),
);

const Range = lazySchema(() => z.object({ low: z.number(), estimate: z.number(), high: z.number() }));

/** `loki plan --json`: the quote. Documented in docs/reference/plan-json.md. */
const ModelTierName = lazySchema(() => z.enum(MODEL_TIERS));
export const Plan = lazySchema(() =>
  z.object({
    schema_version: Version,
    spec: z.object({ title: z.string(), kind: SpecSourceKind, ref: z.string(), sha256: Sha256 }),
    items: z.object({ total: z.number().int(), visible: z.number().int(), held_out: z.number().int() }),
    complexity: Complexity,
    stats: SpecStats,
    iterations: Range.extend({ cap: z.number().int() }),
    models: z.object({
      provider: z.string(),
      build: z.string(),
      review: z.string(),
      /** The planning pass's model; null when the run makes none (simple specs, planner off). */
      plan: z.string().nullable(),
      source: z.enum(["override", "switched", "phase", "provider", "configured", "default"]),
      /** Each phase's model tier (fast < development < planning), and the ceiling. */
      tiers: z.object({ reason: ModelTierName.nullable(), act: ModelTierName, verify: ModelTierName }),
      max_tier: ModelTierName,
      /** The recommended provider's custom endpoint (origin only), when it has one; absent: its vendor's API. */
      endpoint: z.string().optional(),
    }),
    tokens: z.object({
      planning: TokenCounts.nullable(),
      per_iteration: TokenCounts,
      ship_gate_per_attempt: TokenCounts,
      ship_gate_attempts: z.number().int(),
      total_estimate: TokenCounts,
    }),
    cost: z.object({
      currency: z.literal("USD"),
      pricing_as_of: z.string(),
      usd: Range,
      basis: z.enum(["table", "fallback", "declared"]),
      by_model: z.array(z.object({ model: z.string(), usd: Range, selected: z.boolean() })),
      /** What the planning pass adds (0 without one), and the quote without it. */
      planning_usd: z.number(),
      without_planning: Range,
    }),
    time: z.object({ minutes: Range }),
    provider: z.object({ recommended: z.string(), reason: z.string(), installed: z.array(z.string()) }),
    warnings: z.array(z.string()),
    /** Why `loki start` would refuse right now on this machine (set by the command, not the pure plan). */
    start_refusals: z
      .array(z.object({ check: z.enum(["install", "login", "sandbox", "root"]), message: z.string(), fix: z.string() }))
      .optional(),
  }),
);
export type Plan = z.infer<typeof Plan>;

export const Severity = lazySchema(() => z.enum(["critical", "high", "medium", "low", "info"]));
export type Severity = z.infer<typeof Severity>;
export const GateStatus = lazySchema(() => z.enum(["pass", "fail", "inconclusive", "skipped"]));
export type GateStatus = z.infer<typeof GateStatus>;

export const Finding = lazySchema(() =>
  z.object({
    severity: Severity,
    file: z.string().optional(),
    line: z.number().int().positive().optional(),
    message: z.string(),
    rule: z.string().optional(),
    /** Stable across runs (rule + file + normalized content), for baselines. */
    fingerprint: z.string(),
  }),
);
export type Finding = z.infer<typeof Finding>;

/** One gate's result: persisted in iterations/<n>/gates.json and verify/evidence.json. */
export const GateResult = lazySchema(() =>
  z.object({
    id: z.string(),
    title: z.string(),
    status: GateStatus,
    /** Why: the skip reason, what was inconclusive, or what failed — one line. */
    reason: z.string(),
    duration_ms: z.number().nonnegative(),
    findings: z.array(Finding),
    /** Failing output lines only, capped (for the next prompt and the report). */
    digest: z.string().optional(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
);
export type GateResult = z.infer<typeof GateResult>;
