// The evidence record (.loki/verify/evidence.json): one shape written by `loki verify` and by every
// run's ship gate, read by reports, SARIF/JUnit writers and proofs. Schema only.
import { z } from "zod";
import { GateResult, IsoTime, Severity, Version } from "./schema.ts";

export const VerdictName = z.enum(["VERIFIED", "CONCERNS", "BLOCKED"]);
export type VerdictName = z.infer<typeof VerdictName>;

export const Evidence = z.object({
  schema_version: Version,
  generated_at: IsoTime,
  tool: z.object({ name: z.literal("loki"), version: z.string() }),
  /** Who wrote it: `loki verify`, or a run's ship gate. */
  source: z.enum(["verify", "run"]),
  run_id: z.string().nullable(),
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
});
export type Evidence = z.infer<typeof Evidence>;
