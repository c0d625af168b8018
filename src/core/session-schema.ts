// The session record (.loki/session.json) and run statuses, apart from the other schemas so that
// `loki status` builds only what it reads and starts fast.
import { z } from "zod";
import { lazySchema } from "./lazy-schema.ts";

const SCHEMA_VERSION = 1 as const;

export const RunStatus = lazySchema(() =>
  z.enum(["starting", "running", "paused", "stopping", "stopped", "completed", "failed", "blocked"]),
);
export type RunStatus = z.infer<typeof RunStatus>;
/** The statuses of a run whose process is (meant to be) at work: `loki status`, the dashboard and its seal read them so. */
export const LIVE_STATUSES: readonly string[] = ["starting", "running", "paused", "stopping"];

export const Session = lazySchema(() =>
  z.object({
    schema_version: z.literal(SCHEMA_VERSION),
    run_id: z.string(),
    pid: z.number().int(),
    /** The run process's start (core/process-identity.ts): the pid is the run only while this matches. Absent in older sessions. */
    pid_start: z.string().optional(),
    status: RunStatus,
    provider: z.string(),
    spec: z.string(),
    started_at: z.string().min(1),
    updated_at: z.string().min(1),
  }),
);
export type Session = z.infer<typeof Session>;

/** The part of state/orchestrator.json that `loki status` shows (unknown keys are ignored). */
export const RunProgress = lazySchema(() =>
  z.object({
    run_id: z.string(),
    iteration: z.number().int(),
    phase: z.string(),
    model: z.string(),
    caps: z.object({ max_iterations: z.number().int(), max_duration_s: z.number().nullable() }),
    budget: z.object({ limit_usd: z.number().nullable(), spent_usd: z.number() }),
    last_verdict: z.string().nullable(),
    outcome: z.string().nullable(),
    start_sha: z.string().optional(),
    branch: z.string().nullable().optional(),
    spec: z.object({ ref: z.string() }).optional(),
  }),
);
export type RunProgress = z.infer<typeof RunProgress>;

/** Where a run is, as `loki status --json` and the dashboard show it (from state/orchestrator.json). */
export type StatusProgress = {
  iteration: number;
  max_iterations: number;
  phase: string;
  model: string;
  spent_usd: number;
  limit_usd: number | null;
  last_verdict: string | null;
  outcome: string | null;
};

/** The part of state/completion.json that `loki status` shows (unknown keys are ignored). */
export const RunEnding = lazySchema(() =>
  z.object({
    run_id: z.string(),
    outcome: z.string(),
    exit_code: z.number().int(),
    reason: z.string(),
    next: z.string(),
    finished_at: z.string(),
  }),
);
export type RunEnding = z.infer<typeof RunEnding>;
