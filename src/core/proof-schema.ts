// The proof-of-run (.loki/proofs/<run_id>/proof.json): the signed payload and its provenance.
// Schema only; assembling, redacting, signing and checking a proof live in src/proof/.
import { z } from "zod";
import { AppKind, AppStatus, HealthRecord } from "./app-schema.ts";
import { CouncilRound, VerdictName } from "./evidence-schema.ts";
import { QueueView } from "./queue-schema.ts";
import { Outcome } from "./run-schema.ts";
import { GateResult, IsoTime, Sha256, SpecItemKind, SpecSourceKind, TokenCounts } from "./schema.ts";
import { lazySchema } from "./lazy-schema.ts";

/**
 * The proof file's own version: what its hash covers. 2 (written now): RFC 8785 canonical JSON of
 * `{schema_version, payload}`. 1 (read, never written): loki's sorted-keys JSON of the payload alone.
 */
export const PROOF_SCHEMA_VERSION = 2 as const;
export const ProofSchemaVersion = lazySchema(() => z.union([z.literal(1), z.literal(PROOF_SCHEMA_VERSION)]));
export type ProofSchemaVersion = z.infer<typeof ProofSchemaVersion>;

export const HeadlineVerdict = lazySchema(() => z.enum(["VERIFIED", "VERIFIED WITH GAPS", "NOT VERIFIED"]));
export type HeadlineVerdict = z.infer<typeof HeadlineVerdict>;

const CostBasis = lazySchema(() => z.enum(["exact", "estimated", "declared", "mixed", "none"]));
const ItemResult = lazySchema(() =>
  z.object({ status: z.enum(["pass", "fail", "unknown"]), method: z.enum(["command", "judge"]), evidence: z.string() }),
);

export const ProofFileChange = lazySchema(() =>
  z.object({
    path: z.string(),
    insertions: z.number().int().nonnegative(),
    deletions: z.number().int().nonnegative(),
    binary: z.boolean(),
  }),
);
export type ProofFileChange = z.infer<typeof ProofFileChange>;
export const Diffstat = lazySchema(() =>
  z.object({
    files: z.number().int().nonnegative(),
    insertions: z.number().int().nonnegative(),
    deletions: z.number().int().nonnegative(),
  }),
);

/** Whether the hidden items could be shown, and why not when they could not. */
export const HeldOutStatus = lazySchema(() => z.enum(["revealed", "not_selected", "no_commitment", "store_missing", "reveal_failed"]));
export type HeldOutStatus = z.infer<typeof HeldOutStatus>;

/** How many health records a proof keeps (the newest; the oldest are dropped first). */
export const PROOF_HEALTH_CAP = 200;

/**
 * The Live App Preview as the run ended: in a proof when .loki/app/state.json was this run's, or its app
 * was live at the run's end. Absent in proofs of runs without one, and in proofs written before it.
 */
export const ProofPreview = lazySchema(() =>
  z.object({
    /** The app's address as state.json gave it (a loopback URL); recorded, never followed. */
    url: z.string().nullable(),
    /** Its status at the end of the run: the run's completion record's, else the last health record up to then, else state.json's. */
    status: AppStatus,
    kind: AppKind,
    framework: z.string().nullable(),
    /** What ran, for people (state.json's command). */
    command: z.string(),
    sandboxed: z.boolean(),
    restarts: z.number().int(),
    /** When it last became live; null when it never was. */
    live_at: IsoTime.nullable(),
    /** Its status changes (this run's app's, or every one for a preview no run started), the newest PROOF_HEALTH_CAP. */
    health: z.array(HealthRecord).max(PROOF_HEALTH_CAP),
  }),
);
export type ProofPreview = z.infer<typeof ProofPreview>;

/**
 * What memory did for this run (memory/stats.ts): the earlier runs' episodes its prompts were given, its
 * distinct failures, how many of them an earlier run of the project had already hit, and how many a
 * given memory had described. Absent in proofs of runs that recorded no episode, and in older proofs.
 */
export const ProofMemory = lazySchema(() =>
  z.object({
    given: z.array(z.string()).max(200),
    failures: z.number().int().nonnegative(),
    repeats: z.number().int().nonnegative(),
    hit_again: z.number().int().nonnegative(),
  }),
);
export type ProofMemory = z.infer<typeof ProofMemory>;

/**
 * The planner's task queue as the run ended (core/queue.ts's view: task ids, titles, counts and the
 * dead-lettered tasks' last failures; never an item's text). Absent in proofs of runs without a queue,
 * and in proofs written before it.
 */
export const ProofQueue = QueueView;
export type ProofQueue = z.infer<typeof ProofQueue>;

export const Proof = lazySchema(() =>
  z.object({
    loki_version: z.string(),
    generated_at: IsoTime,
    run: z.object({
      id: z.string(),
      outcome: Outcome,
      exit_code: z.number().int(),
      reason: z.string(),
      started_at: IsoTime.nullable(),
      finished_at: IsoTime,
      active_ms: z.number().nonnegative(),
      iterations: z.number().int().nonnegative(),
      pr_url: z.string().nullable(),
      /** false: the agents ran without loki's sandbox. Absent in proofs written before sandboxing. */
      sandboxed: z.boolean().optional(),
      /** Tool calls that reached for loki's private paths (each one keeps the run from VERIFIED). */
      violations: z.array(z.string()).optional(),
      /** The user accepted the diff's changes to its own grading configuration (--accept-config-change). */
      config_change_accepted: z.boolean().optional(),
    }),
    headline: z.object({ verdict: HeadlineVerdict, reasons: z.array(z.string()) }),
    spec: z.object({
      title: z.string(),
      source: z.object({ kind: SpecSourceKind, ref: z.string(), sha256: Sha256 }),
      items: z.array(
        z.object({ id: z.string(), text: z.string(), kind: SpecItemKind, section: z.string().nullable(), held_out: z.boolean() }),
      ),
    }),
    bill: z.object({
      currency: z.literal("USD"),
      total_usd: z.number().nonnegative(),
      basis: CostBasis,
      by_model: z.array(
        z.object({
          provider: z.string(),
          model: z.string(),
          usd: z.number().nonnegative(),
          basis: CostBasis,
          calls: z.number().int(),
          tokens: TokenCounts,
        }),
      ),
      budget: z.object({ limit_usd: z.number().nullable(), spent_usd: z.number() }),
    }),
    change: z.object({
      start_sha: z.string(),
      head_sha: z.string(),
      branch: z.string().nullable(),
      diffstat: Diffstat,
      files: z.array(ProofFileChange),
      /** sha256 of `git diff start head` exactly as loki runs it, so `proof verify` can re-derive it. */
      diff_sha256: Sha256,
      /** The full diff, only with `--include-diff`. */
      diff: z.string().nullable(),
    }),
    gates: z.object({
      /** Where the results come from: the run's evidence.json, else its last iteration's gates.json. */
      source: z.enum(["evidence", "iteration", "none"]),
      verdict: VerdictName.nullable(),
      results: z.array(GateResult),
    }),
    council: z.array(CouncilRound.omit({ schema_version: true })),
    held_out: z.object({
      status: HeldOutStatus,
      detail: z.string().nullable(),
      total_items: z.number().int().nonnegative(),
      count: z.number().int().nonnegative(),
      evaluation: z
        .object({
          verdict: VerdictName,
          iteration: z.number().int(),
          evaluated_at: IsoTime,
          passed: z.number().int(),
          failed: z.number().int(),
          unknown: z.number().int(),
        })
        .nullable(),
      items: z.array(z.object({ id: z.string(), text: z.string(), result: ItemResult.nullable() })),
    }),
    timing: z.object({
      iterations: z.array(
        z.object({
          n: z.number().int(),
          started_at: IsoTime,
          duration_ms: z.number().nonnegative().nullable(),
          usd: z.number().nonnegative(),
        }),
      ),
    }),
    providers: z.object({
      chain: z.array(z.string()),
      used: z.array(
        z.object({ provider: z.string(), model: z.string(), role: z.enum(["build", "review", "judge", "plan"]), calls: z.number().int() }),
      ),
      failovers: z.array(z.object({ iteration: z.number().int(), from: z.string(), to: z.string(), reason: z.string() })),
      /** A chain provider's custom endpoint (origin only), when its calls did not go to its vendor's API. */
      endpoints: z.record(z.string(), z.string()).optional(),
    }),
    /** What the single redaction pass replaced (rule names and counts only). */
    redaction: z.object({
      total: z.number().int().nonnegative(),
      hits: z.array(z.object({ rule: z.string(), count: z.number().int().nonnegative() })),
    }),
    verify_command: z.string(),
    preview: ProofPreview.optional(),
    memory: ProofMemory.optional(),
    queue: ProofQueue.optional(),
  }),
);
export type Proof = z.infer<typeof Proof>;

export const Provenance = lazySchema(() =>
  z.object({
    algorithm: z.literal("ed25519"),
    /** Version 2: sha256 of the RFC 8785 form of `{schema_version, payload}` (the file without its
     *  provenance); version 1: sha256 of the payload as JSON with keys sorted at every depth. */
    canonical_sha256: Sha256,
    /** base64 ed25519 signature over the UTF-8 bytes of canonical_sha256 (the 64 hex characters). */
    signature: z.string().min(1),
    /** SPKI PEM of the signing key. */
    public_key: z.string().min(1),
    /** First 16 hex of sha256 over the DER (SPKI) public key. */
    key_fingerprint: z.string().regex(/^[0-9a-f]{16}$/),
  }),
);
export type Provenance = z.infer<typeof Provenance>;

export const ProofFile = lazySchema(() => z.object({ schema_version: ProofSchemaVersion, payload: Proof, provenance: Provenance }));
export type ProofFile = z.infer<typeof ProofFile>;
