// The evidence record (.loki/verify/evidence.json): one shape written by `loki verify` and by every
// run's ship gate, read by reports, SARIF/JUnit writers and proofs. Schema only.
import { z } from "zod";
import { GateResult, IsoTime, Severity, Version } from "./schema.ts";
import { lazySchema } from "./lazy-schema.ts";

export const VerdictName = lazySchema(() => z.enum(["VERIFIED", "CONCERNS", "BLOCKED"]));
export type VerdictName = z.infer<typeof VerdictName>;

/** One project detection: the commands grading ran with, and where each came from. */
const DetectedCommand = lazySchema(() => z.object({ command: z.string(), source: z.string() }).nullable());
export const Detection = lazySchema(() =>
  z.object({
    /** The run iteration whose tree it was detected on; null for `loki verify`. */
    iteration: z.number().int().nullable(),
    at: IsoTime,
    kinds: z.array(z.string()),
    test: DetectedCommand,
    build: DetectedCommand,
    lint: DetectedCommand,
  }),
);
export type Detection = z.infer<typeof Detection>;

export const Evidence = lazySchema(() =>
  z.object({
    schema_version: Version,
    generated_at: IsoTime,
    tool: z.object({ name: z.literal("loki"), version: z.string() }),
    /** Who wrote it: `loki verify`, or a run's ship gate. */
    source: z.enum(["verify", "run"]),
    run_id: z.string().nullable(),
    /** A run's evidence: false when its agents ran without loki's sandbox (--no-sandbox). */
    sandboxed: z.boolean().optional(),
    /** Where the grading configuration came from, and whether the user accepted the diff's own (--accept-config-change). */
    grading: z.object({ frozen_at: z.string(), config_change_accepted: z.boolean() }).optional(),
    /** What was detected, when: one entry per change of the project's commands (a run starts with the first). */
    detection: z.array(Detection).optional(),
    repo: z.object({
      root: z.string(),
      head: z.string(),
      /** The merge base the diff starts from (a run: its start commit). */
      base: z.string(),
      /** What the user asked for: `origin/main`, a sha, or "run start". */
      base_ref: z.string(),
      branch: z.string().nullable(),
    }),
    subject: z.object({
      files: z.number().int().nonnegative(),
      insertions: z.number().int().nonnegative(),
      deletions: z.number().int().nonnegative(),
      includes_worktree: z.boolean(),
      scope: z.enum(["diff", "files", "repo"]),
    }),
    verdict: VerdictName,
    exit_code: z.number().int(),
    reasons: z.array(z.string()),
    block_on: z.array(Severity),
    baseline: z.object({ path: z.string(), suppressed: z.number().int().nonnegative() }).nullable(),
    gates: z.array(GateResult),
    /** A run's ship-gate stages after the deterministic gates (held-out evaluation, council). */
    stages: z.array(z.object({ id: z.string(), verdict: VerdictName, reasons: z.array(z.string()) })),
    /**
     * A run's: what memory did so far (memory/stats.ts) — the memories its prompts were given, its distinct
     * failures, the fingerprints of those an earlier run had hit (repeated) and of those a given memory had
     * described (hit_again_of: the memory did not help). Absent in `loki verify`'s evidence and older runs'.
     */
    memory: z
      .object({
        given: z.array(z.string()).max(200),
        failures: z.number().int().nonnegative(),
        repeated: z.array(z.string()).max(200),
        hit_again_of: z.array(z.string()).max(200),
      })
      .optional(),
  }),
);
export type Evidence = z.infer<typeof Evidence>;

/** state/heldout-result.json: the latest held-out evaluation of a run. Names no item text (the
 *  run may continue after it); the texts are revealed only in the proof. */
export const HeldoutResult = lazySchema(() =>
  z.object({
    schema_version: Version,
    run_id: z.string(),
    iteration: z.number().int(),
    evaluated_at: IsoTime,
    verdict: VerdictName,
    items: z.array(
      z.object({
        id: z.string(),
        status: z.enum(["pass", "fail", "unknown"]),
        /** How it was decided: the item's own `verify:` command, or the read-only judge. */
        method: z.enum(["command", "judge"]),
        /** A coarse label safe to show the build agent (the item's kind or section). */
        category: z.string(),
        evidence: z.string(),
      }),
    ),
    passed: z.number().int(),
    failed: z.number().int(),
    unknown: z.number().int(),
    /** The tree judged: an unchanged tree is not judged again (the verdict could not differ). */
    tree: z.string().optional(),
    /** `hmac-sha256:<hex>` over the rest, keyed by the run's held-out salt (in ~/.loki): only a result
     *  carrying loki's seal is ever reused (review/heldout-cache.ts). */
    mac: z
      .string()
      .regex(/^hmac-sha256:[0-9a-f]{64}$/)
      .optional(),
  }),
);
export type HeldoutResult = z.infer<typeof HeldoutResult>;

export const ReviewerVerdict = lazySchema(() => z.enum(["APPROVE", "REJECT", "INCONCLUSIVE"]));

/** One reviewer's answer in a council round (or the devil's advocate's, or the held-out judge's). */
export const ReviewerRecord = lazySchema(() =>
  z.object({
    role: z.string(),
    provider: z.string(),
    model: z.string(),
    verdict: ReviewerVerdict,
    findings: z.array(
      z.object({ severity: Severity, file: z.string().optional(), line: z.number().int().optional(), message: z.string() }),
    ),
    items: z.array(z.object({ id: z.string(), status: z.enum(["pass", "fail", "unknown"]), evidence: z.string().optional() })),
    /** Why the verdict is INCONCLUSIVE or discarded (unparseable output, mutation, call failure). */
    note: z.string().nullable(),
    /** The reviewer changed the working tree: reverted, verdict discarded. */
    mutation: z.boolean(),
    /** The raw output, relative to .loki/. */
    transcript: z.string(),
    usd: z.number(),
  }),
);
export type ReviewerRecord = z.infer<typeof ReviewerRecord>;

/** council/round-<n>.json: every reviewer verdict of one round, kept, never overwritten. */
export const CouncilRound = lazySchema(() =>
  z.object({
    schema_version: Version,
    run_id: z.string(),
    round: z.number().int().positive(),
    iteration: z.number().int(),
    at: IsoTime,
    reviewers: z.array(ReviewerRecord),
    devils_advocate: ReviewerRecord.nullable(),
    passed: z.boolean(),
    reasons: z.array(z.string()),
  }),
);
export type CouncilRound = z.infer<typeof CouncilRound>;

/** metrics/trust-events.jsonl: the facts `loki trust` computes its trajectory from. */
export const TrustEvent = lazySchema(() =>
  z.object({
    ts: IsoTime,
    run_id: z.string(),
    iteration: z.number().int(),
    /** `private_access`: an agent's tool call reached for loki's private paths (blocks the run).
     *  `state_forged`: loki state read back from .loki/ (the held-out verdict cache) lacked loki's seal.
     *  `grader_tampered`: loki's own code or the provider CLI changed during the run (blocks the run). */
    kind: z.enum([
      "run_start",
      "gate_result",
      "heldout_eval",
      "council_vote",
      "reviewer_mutation",
      "private_access",
      "state_forged",
      "grader_tampered",
      "budget_warning",
      "completion",
    ]),
    data: z.record(z.string(), z.unknown()),
  }),
);
export type TrustEvent = z.infer<typeof TrustEvent>;
