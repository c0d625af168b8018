// What the dashboard gets from the layers it may not import (DESIGN §2: dashboard imports core only):
// `loki status`'s own report, the run controls the CLI uses, the proof check. commands/dashboard.ts
// passes them in; the server never starts, kills or edits a run itself.
import type { StatusProgress } from "../core/session-schema.ts";

/** The fields of run/status.ts's StatusReport the dashboard shows: the one answer to "is it running". */
export type RunStatusView = {
  status: string;
  run_id: string | null;
  pid_alive: boolean;
  provider: string | null;
  spec: string | null;
  started_at: string | null;
  updated_at: string | null;
  signals: { pause: boolean; stop: boolean };
  outcome: string | null;
  reason: string | null;
  next: string;
  progress: StatusProgress | null;
};

/** A control's answer: what the user sees, and the HTTP status the server sends (200, 409, 422). */
export type ControlResult = { ok: true; message: string } | { ok: false; status: 409 | 422; message: string };

/** The run controls, as `loki pause|resume|stop` and the engine's boundary checks implement them. */
export type Controls = {
  pause: () => Promise<ControlResult>;
  resume: () => Promise<ControlResult>;
  /** "iteration": after the iteration in progress; "now": the run's process is signalled (as `loki stop`). */
  stop: (mode: "iteration" | "now") => Promise<ControlResult>;
  /** The model for the next iteration, checked against the run's provider's models. */
  model: (model: string) => Promise<ControlResult>;
  /** A higher budget cap in US dollars. */
  budget: (limitUsd: number) => Promise<ControlResult>;
  /** The models the run's provider offers for the switch (empty: no run, or no switch possible). */
  models: () => Promise<string[]>;
};

/** `loki proof verify`'s answer for a run's proof (proof/verify.ts): status clean | tampered |
 *  untrusted_signer | drifted | unusable, and each check; null when the run has no proof. */
export type ProofCheck = { status: string; checks: { name: string; ok: boolean; detail: string }[] };

export type DashboardDeps = {
  status: (root: string) => Promise<RunStatusView>;
  controls: Controls;
  verifyProof: (root: string, runId: string) => Promise<ProofCheck | null>;
};
