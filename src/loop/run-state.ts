// The run's durable record: orchestrator state and session (atomic writes at every phase change),
// the event stream and the cost ledger (locked appends). A kill -9 at any point leaves these valid.
// Every event is also a debug line in .loki/logs/loki.log, with the subprocesses around it.
import type { Config, ProviderId } from "../core/config.ts";
import { logDebug, useLogFile } from "../core/log.ts";
import { type BillBasis, billBasis } from "../core/models.ts";
import { SCHEMA_VERSION } from "../core/schema.ts";
import { CostEntry, LokiEvent, OrchestratorState, type Phase } from "../core/run-schema.ts";
import { ownStartSync } from "../core/process-identity.ts";
import { Session, type RunStatus } from "../core/session-schema.ts";
import { appendJsonl, appendJsonlMany, readJson, readJsonl, writeJson, type Workspace } from "../core/workspace.ts";

export type EventBody = LokiEvent extends infer E ? (E extends LokiEvent ? Omit<E, "ts" | "run_id" | "iteration"> : never) : never;

export type RunRecord = {
  ws: Workspace;
  state: OrchestratorState;
  save: (patch: Partial<OrchestratorState>) => OrchestratorState;
  emit: (event: EventBody) => LokiEvent;
  /** Several events at once (a round of gate results): one locked append, then each is told as emit tells one. */
  emitAll: (events: readonly EventBody[]) => LokiEvent[];
  bill: (entry: Omit<CostEntry, "ts" | "run_id">) => void;
};

/** The phases of an iteration (and the ship gate) whose length the timeline shows. */
const TIMED: ReadonlySet<Phase> = new Set(["reason", "act", "reflect", "verify", "compound", "ship"]);

export function openRunRecord(
  ws: Workspace,
  initial: OrchestratorState,
  onEvent: (event: LokiEvent) => void,
  now: () => Date = () => new Date(),
): RunRecord {
  useLogFile(ws.logFile);
  // When the phase in progress began: known only for phases this process entered (a resumed run's
  // first phase began in another process, so its length is not made up).
  let phaseSince: Date | null = null;
  const record: RunRecord = {
    ws,
    state: initial,
    save(patch) {
      if (patch.phase !== undefined && patch.phase !== record.state.phase) {
        const at = now();
        if (phaseSince && TIMED.has(record.state.phase))
          record.emit({
            kind: "phase_finished",
            phase: record.state.phase,
            started_at: phaseSince.toISOString(),
            ms: at.getTime() - phaseSince.getTime(),
          });
        phaseSince = at;
      }
      record.state = writeJson(ws.orchestrator, OrchestratorState, { ...record.state, ...patch, updated_at: now().toISOString() });
      writeSession(ws, record.state, process.pid, ownStartSync());
      return record.state;
    },
    emit(body) {
      return record.emitAll([body])[0] as LokiEvent;
    },
    emitAll(bodies) {
      const ts = now().toISOString();
      const events = bodies.map((body) => LokiEvent.parse({ ...body, ts, run_id: record.state.run_id, iteration: record.state.iteration }));
      appendJsonlMany(ws.events, LokiEvent, events);
      for (const event of events) {
        logDebug({ run_id: event.run_id, iteration: event.iteration, phase: record.state.phase, event }, `event ${event.kind}`);
        onEvent(event);
      }
      return events;
    },
    bill(entry) {
      appendJsonl(ws.costLedger, CostEntry, { ...entry, ts: now().toISOString(), run_id: record.state.run_id });
    },
  };
  return record;
}

export function writeSession(ws: Workspace, state: OrchestratorState, pid: number, pidStart: string | null): void {
  const previous = readJson(ws.session, Session);
  writeJson(ws.session, Session, {
    schema_version: SCHEMA_VERSION,
    run_id: state.run_id,
    pid,
    ...(pidStart ? { pid_start: pidStart } : {}),
    status: state.status,
    provider: state.provider,
    spec: state.spec.ref,
    started_at: previous?.run_id === state.run_id ? previous.started_at : state.updated_at,
    updated_at: state.updated_at,
  });
}

export type NewRun = {
  runId: string;
  startSha: string;
  branch: string | null;
  spec: { ref: string; sha256: string; title: string };
  chain: ProviderId[];
  model: string;
  config: Config;
  maxDurationS: number | null;
  sandboxed: boolean;
  now: Date;
};

export function initialState(run: NewRun, status: RunStatus = "starting"): OrchestratorState {
  return {
    schema_version: SCHEMA_VERSION,
    run_id: run.runId,
    status,
    phase: "starting",
    iteration: 0,
    start_sha: run.startSha,
    branch: run.branch,
    spec: run.spec,
    provider: run.chain[0] ?? run.config.provider,
    chain: run.chain,
    model: run.model,
    budget: { limit_usd: run.config.budget_usd ?? null, spent_usd: 0, estimated_usd: 0, warned: false },
    retries: { consecutive: 0, total: 0 },
    stagnation: { count: 0, last_tree: null },
    caps: { max_iterations: run.config.max_iterations, max_duration_s: run.maxDurationS },
    elapsed_ms: 0,
    feedback: [],
    last_verdict: null,
    active_call: null,
    outcome: null,
    sandboxed: run.sandboxed,
    violations: [],
    updated_at: run.now.toISOString(),
  };
}

/** Total billed so far for a run, from the ledger (the source of truth after a crash). */
export function ledgerSpend(ws: Workspace, runId: string): { usd: number; estimated: number; calls: Set<string>; basis: BillBasis } {
  const entries = readJsonl(ws.costLedger, CostEntry).filter((e) => e.run_id === runId);
  return {
    basis: billBasis(entries),
    usd: entries.reduce((sum, e) => sum + e.usd, 0),
    estimated: entries.filter((e) => e.basis === "estimated").reduce((sum, e) => sum + e.usd, 0),
    calls: new Set(entries.map((e) => e.call_id)),
  };
}
