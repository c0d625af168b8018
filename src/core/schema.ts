// zod schemas: the one definition of every shape persisted under .loki/ or passed between stages.
// A schema and its type share one PascalCase name. No I/O here; no imports from other src folders.
import { z } from "zod";

export const SCHEMA_VERSION = 1 as const;
const Version = z.literal(SCHEMA_VERSION);
export const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, "expected a sha256 hex digest");
const IsoTime = z.string().min(1);

export const Tracker = z.enum(["github", "gitlab", "jira", "azure"]);
export type Tracker = z.infer<typeof Tracker>;

export const SpecSourceKind = z.enum(["markdown", "json", "yaml", "openapi", "brief", "openspec", "issue"]);
export type SpecSourceKind = z.infer<typeof SpecSourceKind>;

export const SpecSource = z.object({
  kind: SpecSourceKind,
  /** What the user passed: a path, a URL, `owner/repo#N`, or the brief itself (truncated). */
  ref: z.string(),
  /** Absolute path of the file or directory, for file-based kinds. */
  path: z.string().optional(),
  tracker: Tracker.optional(),
  url: z.string().optional(),
  /** sha256 of the raw spec content (all files, in order, for a directory). */
  sha256: Sha256,
});
export type SpecSource = z.infer<typeof SpecSource>;

export const SpecItemKind = z.enum(["acceptance", "requirement", "task", "operation", "scenario", "brief"]);
export type SpecItemKind = z.infer<typeof SpecItemKind>;

export const Operation = z.object({
  method: z.string(),
  path: z.string(),
  responses: z.array(z.string()),
});
export type Operation = z.infer<typeof Operation>;

export const SpecItem = z.object({
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
});
export type SpecItem = z.infer<typeof SpecItem>;

export const SpecSection = z.object({ title: z.string(), level: z.number().int(), line: z.number().int() });
export type SpecSection = z.infer<typeof SpecSection>;

export const SpecStats = z.object({
  words: z.number().int().nonnegative(),
  lines: z.number().int().nonnegative(),
  sections: z.number().int().nonnegative(),
  items: z.number().int().nonnegative(),
  endpoints: z.number().int().nonnegative(),
  integrations: z.array(z.string()),
  data_stores: z.array(z.string()),
  services: z.array(z.string()),
});
export type SpecStats = z.infer<typeof SpecStats>;

export const ComplexityTier = z.enum(["simple", "standard", "complex"]);
export type ComplexityTier = z.infer<typeof ComplexityTier>;

export const Complexity = z.object({
  tier: ComplexityTier,
  score: z.number(),
  reasons: z.array(z.string()),
});
export type Complexity = z.infer<typeof Complexity>;

export const Spec = z.object({
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
});
export type Spec = z.infer<typeof Spec>;

export const ItemStatus = z.enum(["pending", "met", "failing", "unknown"]);
export const ChecklistItem = z.object({
  id: z.string(),
  text: z.string(),
  kind: SpecItemKind,
  section: z.string().optional(),
  source_line: z.number().int().optional(),
  status: ItemStatus,
});
export type ChecklistItem = z.infer<typeof ChecklistItem>;

/** The visible checklist: held-out items are never listed here, only counted. */
export const Checklist = z.object({
  schema_version: Version,
  spec_sha256: Sha256,
  items: z.array(ChecklistItem),
  held_out_count: z.number().int().nonnegative(),
  updated_at: IsoTime,
});
export type Checklist = z.infer<typeof Checklist>;

/** checklist/held-out.json: the commitment. Names no item. */
export const HeldOutCommitment = z.object({
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
});
export type HeldOutCommitment = z.infer<typeof HeldOutCommitment>;

/** ~/.loki/heldout/<project>/<run>.json: the hidden items themselves (outside the work tree). */
export const HeldOutStore = z.object({
  schema_version: Version,
  run_id: z.string(),
  project: z.string(),
  salt: z.string().regex(/^[0-9a-f]{32}$/),
  items: z.array(z.object({ id: z.string(), text: z.string(), verify: z.string().optional() })),
  created_at: IsoTime,
});
export type HeldOutStore = z.infer<typeof HeldOutStore>;

export const LockedItem = z.object({
  id: z.string(),
  sha256: Sha256,
  text: z.string(),
  section: z.string().optional(),
});
export type LockedItem = z.infer<typeof LockedItem>;

export const SpecLock = z.object({
  schema_version: Version,
  locked_at: IsoTime,
  source: SpecSource,
  items: z.array(LockedItem),
});
export type SpecLock = z.infer<typeof SpecLock>;

export const DriftReport = z.object({
  schema_version: Version,
  checked_at: IsoTime,
  in_sync: z.boolean(),
  source_ref: z.string(),
  locked_sha256: Sha256,
  current_sha256: Sha256,
  added: z.array(z.object({ id: z.string(), text: z.string() })),
  removed: z.array(z.object({ id: z.string(), text: z.string() })),
  changed: z.array(z.object({ id: z.string(), new_id: z.string(), before: z.string(), after: z.string() })),
});
export type DriftReport = z.infer<typeof DriftReport>;

export const RunStatus = z.enum(["starting", "running", "paused", "stopping", "stopped", "completed", "failed", "blocked"]);
export type RunStatus = z.infer<typeof RunStatus>;

export const Session = z.object({
  schema_version: Version,
  run_id: z.string(),
  pid: z.number().int(),
  status: RunStatus,
  provider: z.string(),
  spec: z.string(),
  started_at: IsoTime,
  updated_at: IsoTime,
});
export type Session = z.infer<typeof Session>;

const TokenCounts = z.object({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  cache_read: z.number().nonnegative(),
  cache_write: z.number().nonnegative(),
});

const Range = z.object({ low: z.number(), estimate: z.number(), high: z.number() });

/** `loki plan --json`: the quote. Documented in docs/reference/plan-json.md. */
export const Plan = z.object({
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
    source: z.enum(["configured", "default"]),
  }),
  tokens: z.object({ per_iteration: TokenCounts, ship_gate_per_attempt: TokenCounts, ship_gate_attempts: z.number().int(), total_estimate: TokenCounts }),
  cost: z.object({
    currency: z.literal("USD"),
    pricing_as_of: z.string(),
    usd: Range,
    basis: z.enum(["table", "fallback"]),
    by_model: z.array(z.object({ model: z.string(), usd: Range, selected: z.boolean() })),
  }),
  time: z.object({ minutes: Range }),
  provider: z.object({ recommended: z.string(), reason: z.string(), installed: z.array(z.string()) }),
  warnings: z.array(z.string()),
});
export type Plan = z.infer<typeof Plan>;

export const Severity = z.enum(["critical", "high", "medium", "low", "info"]);
export type Severity = z.infer<typeof Severity>;
export const GateStatus = z.enum(["pass", "fail", "inconclusive", "skipped"]);
export type GateStatus = z.infer<typeof GateStatus>;

export const Finding = z.object({
  severity: Severity,
  file: z.string().optional(),
  line: z.number().int().positive().optional(),
  message: z.string(),
  rule: z.string().optional(),
  /** Stable across runs (rule + file + normalized content), for baselines. */
  fingerprint: z.string(),
});
export type Finding = z.infer<typeof Finding>;

/** One gate's result: persisted in iterations/<n>/gates.json and verify/evidence.json. */
export const GateResult = z.object({
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
});
export type GateResult = z.infer<typeof GateResult>;

export const Outcome = z.enum(["verified", "max_iterations", "max_duration", "stalled", "stopped", "failed", "blocked", "budget_exceeded", "error", "interrupted"]);
export type Outcome = z.infer<typeof Outcome>;
export const Phase = z.enum(["starting", "reason", "act", "reflect", "verify", "compound", "ship", "done"]);
export type Phase = z.infer<typeof Phase>;

/** state/orchestrator.json: everything `loki resume` needs to continue a run. */
export const OrchestratorState = z.object({
  schema_version: Version,
  run_id: z.string(),
  status: RunStatus,
  phase: Phase,
  /** The iteration in progress, or the last one finished (1-based; 0 before the first). */
  iteration: z.number().int().nonnegative(),
  start_sha: z.string(),
  branch: z.string().nullable(),
  spec: z.object({ ref: z.string(), sha256: Sha256, title: z.string() }),
  provider: z.string(),
  chain: z.array(z.string()),
  model: z.string(),
  budget: z.object({ limit_usd: z.number().nullable(), spent_usd: z.number(), estimated_usd: z.number(), warned: z.boolean() }),
  retries: z.object({ consecutive: z.number().int(), total: z.number().int() }),
  stagnation: z.object({ count: z.number().int(), last_tree: z.string().nullable() }),
  caps: z.object({ max_iterations: z.number().int(), max_duration_s: z.number().nullable() }),
  /** Active time so far, across resumes (a dead run's downtime does not count). */
  elapsed_ms: z.number().nonnegative(),
  /** Failures the next prompt must address (gate digests, ship-gate reasons). */
  feedback: z.array(z.string()),
  last_verdict: z.enum(["VERIFIED", "CONCERNS", "BLOCKED"]).nullable(),
  /** The agent call in flight: killed and billed conservatively on resume. */
  active_call: z.object({ pid: z.number().int(), iteration: z.number().int(), call_id: z.string(), started_at: IsoTime }).nullable(),
  outcome: Outcome.nullable(),
  updated_at: IsoTime,
});
export type OrchestratorState = z.infer<typeof OrchestratorState>;

const TokenMap = z.record(z.string(), TokenCounts);

/** metrics/cost.jsonl: one line per agent call; `basis` says whether the dollars are exact. */
export const CostEntry = z.object({
  ts: IsoTime,
  run_id: z.string(),
  iteration: z.number().int(),
  call_id: z.string(),
  role: z.enum(["build", "review", "judge"]),
  provider: z.string(),
  model: z.string(),
  usd: z.number().nonnegative(),
  basis: z.enum(["exact", "estimated"]),
  tokens: TokenMap,
  duration_ms: z.number().nonnegative(),
  note: z.string().optional(),
});
export type CostEntry = z.infer<typeof CostEntry>;

const EventBase = { ts: IsoTime, run_id: z.string(), iteration: z.number().int() };
/** events.jsonl: the one typed event stream of a run. */
export const LokiEvent = z.discriminatedUnion("kind", [
  z.object({ ...EventBase, kind: z.literal("run_started"), provider: z.string(), model: z.string(), spec: z.string(), start_sha: z.string(), resumed: z.boolean() }),
  z.object({ ...EventBase, kind: z.literal("iteration_started") }),
  z.object({ ...EventBase, kind: z.literal("prompt_built"), bytes: z.number().int(), items: z.number().int() }),
  z.object({ ...EventBase, kind: z.literal("agent_started"), provider: z.string(), model: z.string(), call_id: z.string() }),
  z.object({ ...EventBase, kind: z.literal("agent_finished"), provider: z.string(), model: z.string(), call_id: z.string(), ok: z.boolean(), exit_code: z.number().int().nullable(), error_class: z.string().nullable(), usd: z.number(), basis: z.enum(["exact", "estimated"]), duration_ms: z.number(), claimed_done: z.boolean() }),
  z.object({ ...EventBase, kind: z.literal("checkpoint"), sha: z.string().nullable(), changed: z.boolean() }),
  z.object({ ...EventBase, kind: z.literal("gate_result"), gate: z.string(), status: GateStatus, reason: z.string() }),
  z.object({ ...EventBase, kind: z.literal("ship_gate"), verdict: z.enum(["VERIFIED", "CONCERNS", "BLOCKED"]), reasons: z.array(z.string()), trigger: z.string() }),
  z.object({ ...EventBase, kind: z.literal("budget_warning"), spent_usd: z.number(), limit_usd: z.number() }),
  z.object({ ...EventBase, kind: z.literal("budget_exceeded"), spent_usd: z.number(), limit_usd: z.number() }),
  z.object({ ...EventBase, kind: z.literal("retry"), provider: z.string(), error_class: z.string(), wait_ms: z.number(), attempt: z.number().int() }),
  z.object({ ...EventBase, kind: z.literal("provider_failover"), from: z.string(), to: z.string(), reason: z.string() }),
  z.object({ ...EventBase, kind: z.literal("paused") }),
  z.object({ ...EventBase, kind: z.literal("resumed") }),
  z.object({ ...EventBase, kind: z.literal("stalled"), count: z.number().int() }),
  z.object({ ...EventBase, kind: z.literal("warning"), message: z.string() }),
  z.object({ ...EventBase, kind: z.literal("run_finished"), outcome: Outcome, exit_code: z.number().int(), reason: z.string() }),
]);
export type LokiEvent = z.infer<typeof LokiEvent>;

/** state/completion.json (and COMPLETION.txt): the terminal summary of a run. */
export const Completion = z.object({
  schema_version: Version,
  run_id: z.string(),
  outcome: Outcome,
  exit_code: z.number().int(),
  reason: z.string(),
  start_sha: z.string(),
  head_sha: z.string().nullable(),
  branch: z.string().nullable(),
  iterations: z.number().int(),
  diffstat: z.object({ files: z.number().int(), insertions: z.number().int(), deletions: z.number().int() }),
  cost: z.object({ usd: z.number(), basis: z.enum(["exact", "estimated", "mixed", "none"]) }),
  pr_url: z.string().nullable(),
  next: z.string(),
  finished_at: IsoTime,
});
export type Completion = z.infer<typeof Completion>;

/** memory/episodes.jsonl: what one iteration tried and what failed, for later prompts. */
export const Episode = z.object({
  ts: IsoTime,
  run_id: z.string(),
  iteration: z.number().int(),
  provider: z.string(),
  result: z.enum(["progress", "no_change", "gates_failed", "agent_error", "ship_rejected", "shipped"]),
  files_changed: z.number().int(),
  failures: z.array(z.string()),
  claimed_done: z.boolean(),
});
export type Episode = z.infer<typeof Episode>;
