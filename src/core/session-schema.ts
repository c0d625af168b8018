// The session record (.loki/session.json) and run statuses, apart from the other schemas so that
// `loki status` builds only what it reads and starts fast.
import { z } from "zod";

const SCHEMA_VERSION = 1 as const;

export const RunStatus = z.enum(["starting", "running", "paused", "stopping", "stopped", "completed", "failed", "blocked"]);
export type RunStatus = z.infer<typeof RunStatus>;

export const Session = z.object({
  schema_version: z.literal(SCHEMA_VERSION),
  run_id: z.string(),
  pid: z.number().int(),
  status: RunStatus,
  provider: z.string(),
  spec: z.string(),
  started_at: z.string().min(1),
  updated_at: z.string().min(1),
});
export type Session = z.infer<typeof Session>;

