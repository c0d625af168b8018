// Hand-written .loki/ fixtures for the snapshot's edge cases: a valid loop state and session, event
// and ledger lines, and the deps the dashboard gets (the real `loki status`, controls that do nothing).
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { DashboardDeps } from "../../src/dashboard/deps.ts";
import { readSnapshot, type Snapshot } from "../../src/dashboard/snapshot.ts";
import type { CostEntry, OrchestratorState } from "../../src/core/run-schema.ts";
import type { Session } from "../../src/core/session-schema.ts";
import { readStatus } from "../../src/run/status.ts";

export const RUN_ID = "20260101-120000-test";
export const T0 = Date.parse("2026-01-01T12:00:00.000Z");
/** The fixture clock: `minutes` after T0, as an ISO time. */
export const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

export function deps(models: string[] = ["claude-sonnet-5-5"]): DashboardDeps {
  const ok = async () => ({ ok: true as const, message: "ok" });
  return {
    status: readStatus,
    controls: { pause: ok, resume: ok, stop: ok, model: ok, budget: ok, models: async () => models },
    verifyProof: async () => null,
  };
}

/** The snapshot of the repository at `root`, its clock `minutes` after T0. */
export const snap = (root: string, minutes = 60): Promise<Snapshot> => readSnapshot(root, deps(), { now: T0 + minutes * 60_000 });

export function state(over: Partial<OrchestratorState> = {}): OrchestratorState {
  return {
    schema_version: 1,
    run_id: RUN_ID,
    status: "running",
    phase: "act",
    iteration: 1,
    start_sha: "a".repeat(40),
    branch: "main",
    spec: { ref: "prd.md", sha256: "b".repeat(64), title: "Math helpers" },
    provider: "claude",
    chain: ["claude"],
    model: "claude-sonnet-5-5",
    budget: { limit_usd: null, spent_usd: 0, estimated_usd: 0, warned: false },
    retries: { consecutive: 0, total: 0 },
    stagnation: { count: 0, last_tree: null },
    caps: { max_iterations: 5, max_duration_s: 3600 },
    elapsed_ms: 1000,
    feedback: [],
    last_verdict: null,
    active_call: null,
    outcome: null,
    sandboxed: true,
    violations: [],
    updated_at: at(0),
    ...over,
  };
}

/** A session whose pid is this test process: `loki status` reads the run as live. */
export function session(over: Partial<Session> = {}): Session {
  return {
    schema_version: 1,
    run_id: RUN_ID,
    pid: process.pid,
    status: "running",
    provider: "claude",
    spec: "prd.md",
    started_at: at(0),
    updated_at: at(0),
    ...over,
  };
}

export function cost(iteration: number, minutes: number, usd: number, over: Partial<CostEntry> = {}): CostEntry {
  return {
    ts: at(minutes),
    run_id: RUN_ID,
    iteration,
    call_id: `i${iteration}-${minutes}`,
    role: "build",
    provider: "claude",
    model: "claude-sonnet-5-5",
    usd,
    basis: "exact",
    tokens: {},
    duration_ms: 0,
    ...over,
  };
}

/** One event line (not validated here: tests also write lines the schema rejects). */
export function event(kind: string, iteration: number, minutes: number, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { ts: at(minutes), run_id: RUN_ID, iteration, kind, ...fields };
}

/** Writes files under `<root>/.loki/`: strings as they are, arrays into .jsonl files one line each, else JSON. */
export function writeLoki(root: string, files: Record<string, unknown>): void {
  for (const [rel, value] of Object.entries(files)) {
    const path = join(root, ".loki", rel);
    mkdirSync(dirname(path), { recursive: true });
    const text =
      typeof value === "string"
        ? value
        : Array.isArray(value) && rel.endsWith(".jsonl")
          ? value.map((line) => `${JSON.stringify(line)}\n`).join("")
          : `${JSON.stringify(value, null, 2)}\n`;
    writeFileSync(path, text);
  }
}
