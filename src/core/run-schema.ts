// Schemas of a run's durable record: orchestrator state, the event stream, the cost ledger, the
// completion summary and memory episodes. Validated on every read and write (core/workspace.ts).
import { z } from "zod";
import { GraderConfig } from "./grader-schema.ts";
import { Detection } from "./evidence-schema.ts";
import { GateStatus, IsoTime, Sha256, TokenCounts, Version } from "./schema.ts";
import { RunStatus } from "./session-schema.ts";
import { MODEL_TIERS } from "./model-tiers.ts";

export const Outcome = lazySchema(() =>
  z.enum([
    "verified",
    "max_iterations",
    "max_duration",
    "stalled",
    "stopped",
    "failed",
    "blocked",
    "budget_exceeded",
    "error",
    "interrupted",
  ]),
);
export type Outcome = z.infer<typeof Outcome>;
export const Phase = lazySchema(() => z.enum(["starting", "plan", "reason", "act", "reflect", "verify", "compound", "ship", "done"]));
export type Phase = z.infer<typeof Phase>;

/**
 * The repository's git internals at run start (core/git.ts readGitSnapshot), kept where the agent
 * cannot reach them: the git_integrity gate compares them with the repository at every verify.
 */
export const GitSnapshot = lazySchema(() =>
  z.object({
    start_sha: z.string(),
    start_tree: z.string(),
    /** sha256 of each file that can redefine git (config, config.worktree, info/attributes,
     *  info/exclude, every file under hooks/), keyed `.git/<path in the common git dir>`; absent files have no key. */
    files: z.record(z.string(), z.string()),
    /** `<ref> <object>` for every refs/replace/* ref. */
    replace_refs: z.array(z.string()),
    /** Changes the index told git not to see at run start (core/git-hidden.ts): path → the file's blob
     *  id then. The user's own; one appearing or changing later is the agent's. Absent: not recorded. */
    hidden: z.record(z.string(), z.string()).optional(),
    /** Runner configuration and test files git ignored at run start (gates/unseen.ts): path → sha256. */
    ignored: z.record(z.string(), z.string()).optional(),
  }),
);
export type GitSnapshot = z.infer<typeof GitSnapshot>;
import { RunFlags, RunIntegrity, RunSettings } from "./run-start-schema.ts";
import { lazySchema } from "./lazy-schema.ts";

export { RunFlags, RunIntegrity, RunSettings };

/** state/orchestrator.json: everything `loki resume` needs to continue a run. */
export const OrchestratorState = lazySchema(() =>
  z.object({
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
    active_call: z
      .object({
        pid: z.number().int(),
        /** The agent process's start (core/process-identity.ts): resume kills its group only while this matches. */
        pid_start: z.string().optional(),
        iteration: z.number().int(),
        call_id: z.string(),
        started_at: IsoTime,
      })
      .nullable(),
    outcome: Outcome.nullable(),
    /** Every agent call of the run went through loki's OS sandbox (false once any call did not). */
    sandboxed: z.boolean().default(true),
    /** Trust violations seen in the agents' tool calls: each one keeps the run from ending VERIFIED. */
    violations: z.array(z.string()).default(() => []),
    /** Git internals at run start; absent in runs started before loki recorded them. */
    git_snapshot: GitSnapshot.optional(),
    /** Fingerprints of loki's code and the provider CLIs taken at (re)start (loop/integrity.ts): in the run's state in
     *  memory, on disk in state/integrity.json (RunIntegrityFile), written once a (re)start; in this file only in older states. */
    integrity: RunIntegrity.optional(),
    /** The grading configuration frozen at run start (gates/grader.ts); absent in older states. */
    grader: GraderConfig.optional(),
    /** Held-out, council, sandbox and root settings at run start; absent in older states (read from the start commit). */
    settings: RunSettings.optional(),
    /** The user accepted the diff's changes to its own grading (--accept-config-change). */
    accept_config_change: z.boolean().optional(),
    /** Each iteration re-detects the project; a new entry whenever what grading runs changed. */
    detections: z.array(Detection).optional(),
    /** The model ceiling the run started with (`max_tier`): what the dashboard offers and a switch may choose. Absent in older states. */
    max_tier: z.enum(MODEL_TIERS).optional(),
    /** The flags the run was last (re)started with, but its caps (applied to caps and budget); absent in older states. */
    flags: RunFlags.optional(),
    updated_at: IsoTime,
  }),
);
export type OrchestratorState = z.infer<typeof OrchestratorState>;

/** state/integrity.json: the fingerprints a run's (re)start took (loop/integrity.ts), apart from the state every save rewrites. */
export const RunIntegrityFile = lazySchema(() => RunIntegrity.extend({ schema_version: Version, run_id: z.string() }));
export type RunIntegrityFile = z.infer<typeof RunIntegrityFile>;

const TokenMap = lazySchema(() => z.record(z.string(), TokenCounts));

/** The fields every line of a run's streams starts with (events, the cost ledger, episodes), built with the schema that spreads them. */
const lineStart = () => ({ ts: IsoTime, run_id: z.string(), iteration: z.number().int() });

/** metrics/cost.jsonl: one line per agent call; `basis` says whether the dollars are exact. */
export const CostEntry = lazySchema(() =>
  z.object({
    ...lineStart(),
    call_id: z.string(),
    role: z.enum(["build", "review", "judge", "plan"]),
    provider: z.string(),
    model: z.string(),
    usd: z.number().nonnegative(),
    /** declared: priced at the user's own price for the provider (providers.<id>.price). */
    basis: z.enum(["exact", "estimated", "declared"]),
    tokens: TokenMap,
    duration_ms: z.number().nonnegative(),
    note: z.string().optional(),
  }),
);
export type CostEntry = z.infer<typeof CostEntry>;

/** events.jsonl: the one typed event stream of a run. */
export const LokiEvent = lazySchema(() =>
  z.discriminatedUnion("kind", [
    z.object({
      ...lineStart(),
      kind: z.literal("run_started"),
      provider: z.string(),
      model: z.string(),
      spec: z.string(),
      start_sha: z.string(),
      resumed: z.boolean(),
      budget_usd: z.number().nullable(),
    }),
    z.object({ ...lineStart(), kind: z.literal("iteration_started") }),
    z.object({
      ...lineStart(),
      kind: z.literal("prompt_built"),
      bytes: z.number().int(),
      items: z.number().int(),
      /** Ids of the memories (earlier runs' episodes and learnings) the prompt carried. */
      memories: z.array(z.string()).optional(),
    }),
    z.object({ ...lineStart(), kind: z.literal("agent_started"), provider: z.string(), model: z.string(), call_id: z.string() }),
    z.object({
      ...lineStart(),
      kind: z.literal("agent_finished"),
      provider: z.string(),
      model: z.string(),
      call_id: z.string(),
      ok: z.boolean(),
      exit_code: z.number().int().nullable(),
      error_class: z.string().nullable(),
      usd: z.number(),
      basis: z.enum(["exact", "estimated", "declared"]),
      duration_ms: z.number(),
      claimed_done: z.boolean(),
    }),
    z.object({ ...lineStart(), kind: z.literal("checkpoint"), sha: z.string().nullable(), changed: z.boolean() }),
    z.object({ ...lineStart(), kind: z.literal("gate_result"), gate: z.string(), status: GateStatus, reason: z.string() }),
    z.object({
      ...lineStart(),
      kind: z.literal("ship_gate"),
      verdict: z.enum(["VERIFIED", "CONCERNS", "BLOCKED"]),
      reasons: z.array(z.string()),
      trigger: z.string(),
    }),
    z.object({ ...lineStart(), kind: z.literal("budget_warning"), spent_usd: z.number(), limit_usd: z.number() }),
    z.object({ ...lineStart(), kind: z.literal("budget_exceeded"), spent_usd: z.number(), limit_usd: z.number() }),
    z.object({
      ...lineStart(),
      kind: z.literal("retry"),
      provider: z.string(),
      error_class: z.string(),
      wait_ms: z.number(),
      attempt: z.number().int(),
    }),
    z.object({ ...lineStart(), kind: z.literal("provider_failover"), from: z.string(), to: z.string(), reason: z.string() }),
    z.object({
      ...lineStart(),
      kind: z.literal("model_fallback"),
      provider: z.string(),
      from: z.string(),
      to: z.string(),
      reason: z.string(),
    }),
    /** `by`: who asked (the PAUSE file's first line: "paused by dashboard", "paused by loki pause"). */
    z.object({ ...lineStart(), kind: z.literal("paused"), by: z.string().optional() }),
    z.object({ ...lineStart(), kind: z.literal("resumed") }),
    z.object({ ...lineStart(), kind: z.literal("stalled"), count: z.number().int() }),
    z.object({ ...lineStart(), kind: z.literal("warning"), message: z.string() }),
    /** A failure and the fix that passed its checks became a learning (memory/learnings.ts); global: also kept in ~/.loki/memory. */
    z.object({ ...lineStart(), kind: z.literal("memory_learned"), id: z.string(), symptom: z.string(), global: z.boolean() }),
    /** The run's task queue was made: by the planning pass (planner), its fallback, or the checklist as one task. */
    z.object({
      ...lineStart(),
      kind: z.literal("plan_made"),
      source: z.enum(["planner", "fallback", "checklist"]),
      tasks: z.number().int(),
      calls: z.number().int(),
      architecture: z.string().nullable(),
      note: z.string().optional(),
    }),
    /** An iteration took up a task, and how its attempt ended (done, one more failure, dead-lettered). */
    z.object({
      ...lineStart(),
      kind: z.literal("task_started"),
      task: z.string(),
      title: z.string(),
      role: z.string(),
      attempt: z.number().int(),
    }),
    z.object({
      ...lineStart(),
      kind: z.literal("task_finished"),
      task: z.string(),
      outcome: z.enum(["done", "retry", "dead_letter"]),
      attempts: z.number().int(),
    }),
    /** A failed ship gate's findings became tasks (at most once per planner.replan_every iterations). */
    z.object({ ...lineStart(), kind: z.literal("replanned"), tasks: z.array(z.string()), reasons: z.number().int() }),
    /** What grading runs changed on this iteration's tree (a greenfield run's first package.json). */
    z.object({ ...lineStart(), kind: z.literal("project_detected"), detection: Detection }),
    /** A phase of the iteration ended: when it began and how long it took (the dashboard's timeline). */
    z.object({ ...lineStart(), kind: z.literal("phase_finished"), phase: Phase, started_at: IsoTime, ms: z.number().nonnegative() }),
    /** A requested model (.loki/control/model.json) took effect from this iteration on. */
    z.object({ ...lineStart(), kind: z.literal("model_switched"), from: z.string(), to: z.string(), by: z.string() }),
    /** A requested budget cap (.loki/control/budget.json) took effect. */
    z.object({ ...lineStart(), kind: z.literal("budget_raised"), from: z.number().nullable(), to: z.number(), by: z.string() }),
    z.object({ ...lineStart(), kind: z.literal("run_finished"), outcome: Outcome, exit_code: z.number().int(), reason: z.string() }),
  ]),
);
export type LokiEvent = z.infer<typeof LokiEvent>;

/** .loki/control/model.json: the model the next iteration should run (who asked, and when). */
export const ModelRequest = lazySchema(() =>
  z.object({
    schema_version: Version,
    /** The run it was asked of: a request left over from another run is never applied. */
    run_id: z.string(),
    model: z.string().min(1),
    requested_at: IsoTime,
    by: z.string(),
  }),
);
export type ModelRequest = z.infer<typeof ModelRequest>;
/** .loki/control/budget.json: a higher budget cap for the run in progress. */
export const BudgetRequest = lazySchema(() =>
  z.object({
    schema_version: Version,
    run_id: z.string(),
    limit_usd: z.number().positive(),
    requested_at: IsoTime,
    by: z.string(),
  }),
);
export type BudgetRequest = z.infer<typeof BudgetRequest>;

/** state/completion.json (and COMPLETION.txt): the terminal summary of a run. */
export const Completion = lazySchema(() =>
  z.object({
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
    cost: z.object({ usd: z.number(), basis: z.enum(["exact", "estimated", "declared", "mixed", "none"]) }),
    pr_url: z.string().nullable(),
    /** false: the run's agents ran without loki's sandbox (--no-sandbox). Absent in older summaries. */
    sandboxed: z.boolean().optional(),
    /** The Live App Preview at the end of the run: its status and URL (live only on 3 healthy answers). Absent when no app ran. */
    app: z.object({ status: z.string(), url: z.string().nullable(), detail: z.string().nullable() }).nullable().optional(),
    /** Tasks the run gave up on after planner.dead_letter_after failed attempts (absent: none, or an older summary). */
    dead_letter: z.array(z.object({ id: z.string(), title: z.string(), attempts: z.number().int() })).optional(),
    next: z.string(),
    finished_at: IsoTime,
  }),
);
export type Completion = z.infer<typeof Completion>;

/** A full commit id (sha-1 or sha-256): what memory hands to git, never an option or a range. */
const GitSha = lazySchema(() => z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/));

/** memory/episodes.jsonl: what one iteration tried and what failed, for later prompts. */
export const Episode = lazySchema(() =>
  z.object({
    ...lineStart(),
    provider: z.string(),
    result: z.enum(["progress", "no_change", "gates_failed", "agent_error", "ship_rejected", "shipped"]),
    files_changed: z.number().int(),
    failures: z.array(z.string()),
    claimed_done: z.boolean(),
    /** Id (`ep_<run>_<iteration>`, `-2`, `-3` … for an iteration redone after a crash), the model, what was being built (spec title and the VISIBLE
     *  items only: a held-out item's text never enters memory), each failed gate with a fingerprint of its
     *  failure (memory/episodes.ts failureFingerprint), and the files the run had changed. Absent in older episodes. */
    id: z.string().optional(),
    model: z.string().optional(),
    goal: z.string().optional(),
    errors: z.array(z.object({ type: z.string(), message: z.string(), fingerprint: z.string() })).optional(),
    files: z.array(z.string()).optional(),
    /** The iteration's checkpoint commit: where a later fix of its failures is diffed from. Absent in older episodes. */
    sha: GitSha.optional(),
    /** A hash of each item the run could see (memory/episodes.ts seenHashes): the held-out filter's test. Absent in older episodes. */
    seen: z.array(z.string()).optional(),
    /** What the iteration's agent calls cost (the cost ledger's entries for it). Absent in older episodes. */
    usd: z.number().nonnegative().optional(),
  }),
);
export type Episode = z.infer<typeof Episode>;

/**
 * memory/learnings.jsonl (and ~/.loki/memory/learnings.jsonl when memory.global is on): a failure and
 * the fix that made the next checks pass, redacted before it is written anywhere. `id` is the same in
 * both stores, so `loki memory forget` removes it from both.
 */
export const Learning = lazySchema(() =>
  z.object({
    id: z.string().regex(/^lr_[0-9a-f]{16}$/),
    ts: IsoTime,
    /** The project's directory name (redacted), for the reader of the global store. */
    project: z.string(),
    run_id: z.string(),
    /** The iteration that failed and the one whose checks passed after it. */
    failed_iteration: z.number().int(),
    fixed_iteration: z.number().int(),
    /** What was being built (visible items only, as the episode's goal), and a hash of each of them (the episode's `seen`). */
    goal: z.string(),
    seen: z.array(z.string()),
    /** The failed checks, "gate: first line", and their fingerprints. */
    symptom: z.array(z.string()),
    fingerprints: z.array(z.string()),
    /** The failing check's fuller words: where it pointed. */
    cause: z.string(),
    /** What changed between the failing checkpoint and the passing one: files with line counts, a few added lines. */
    fix: z.string(),
    files: z.array(z.string()),
    tags: z.array(z.string()),
    provider: z.string(),
    model: z.string().optional(),
  }),
);
export type Learning = z.infer<typeof Learning>;

/** iterations/<n>/memories.json: the memories one build prompt was given, verbatim, for the dashboard and the evidence. */
export const GivenMemories = lazySchema(() =>
  z.object({
    iteration: z.number().int(),
    memories: z.array(
      z.object({ id: z.string(), store: z.enum(["project", "global"]), kind: z.enum(["episode", "learning"]), line: z.string() }),
    ),
  }),
);
export type GivenMemories = z.infer<typeof GivenMemories>;

/** state/delivery.json: what a delegated run must do once the loop ends (--pr, --ship). */
export const Delivery = lazySchema(() =>
  z.object({
    schema_version: Version,
    run_id: z.string(),
    pr: z.boolean(),
    ship: z.boolean(),
    branch: z.string(),
    base: z.string(),
    /** RepoRef (forge/pr-types.ts); null when there is no PR to open. */
    repo: z.record(z.string(), z.unknown()).nullable(),
    /** IssueRef (forge/types.ts) of the originating issue, when the spec is one. */
    issue: z.record(z.string(), z.unknown()).nullable(),
    title: z.string(),
    main_root: z.string(),
    merge_blocked_by: z.string().nullable(),
  }),
);
export type Delivery = z.infer<typeof Delivery>;
