// The run's durable record: orchestrator state and session (atomic writes at every phase change),
// the event stream and the cost ledger (locked appends). A kill -9 at any point leaves these valid;
// a power loss leaves them as at the last iteration boundary at the earliest (saveDurability).
// Every event is also a debug line in .loki/logs/loki.log, with the subprocesses around it.
import type { Config, ProviderId } from "../core/config.ts";
import { logDebug, useLogFile } from "../core/log.ts";
import { type BillBasis, billBasis } from "../core/models.ts";
import { SCHEMA_VERSION } from "../core/schema.ts";
import { CostEntry, LokiEvent, OrchestratorState, type Phase, RunIntegrityFile } from "../core/run-schema.ts";
import { ownStartSync } from "../core/process-identity.ts";
import { holdsRunLock } from "../core/run-lock.ts";
import { readJsonlAgain } from "../core/jsonl-again.ts";
import { Session, type RunStatus } from "../core/session-schema.ts";
import { appendJsonlMany, clearDeadLock, type Durability, readJson, writeJson, type Workspace } from "../core/workspace.ts";

export type EventBody = LokiEvent extends infer E ? (E extends LokiEvent ? Omit<E, "ts" | "run_id" | "iteration"> : never) : never;

export type RunRecord = {
  ws: Workspace;
  state: OrchestratorState;
  save: (patch: Partial<OrchestratorState>) => OrchestratorState;
  /**
   * A change held in state now and written by the next save, with it: for a change a save follows
   * within the same few steps (the phase entered just before the save that starts its call, an
   * iteration's end before the next one's start). Only what a redo of the iteration rebuilds
   * (REDONE_KEYS): a kill before that save leaves the state of the save before, whole, and a resume
   * redoes the iteration as it would from there.
   */
  stage: (patch: Partial<OrchestratorState>) => void;
  emit: (event: EventBody) => LokiEvent;
  /** Several events at once (a round of gate results): one locked append, then each is told as emit tells one. */
  emitAll: (events: readonly EventBody[]) => LokiEvent[];
  bill: (entry: Omit<CostEntry, "ts" | "run_id">) => void;
};

/**
 * State a power loss may take back to the last iteration boundary (loop/loop.ts syncs it there):
 * within the iteration in progress, which a resume redoes from its start whatever phase it finds —
 * its checkpoint commits folded back, its spend re-read from the ledger, its stagnation, feedback and
 * detections recomputed. Everything else is synced before the save returns: a violation or a running
 * call (resume kills and bills it from active_call) must survive the loss of the machine, as must an
 * outcome, a status, a provider switch, a budget limit the user raised and the settings. The ledger
 * line a call's clearing follows is itself synced first (bill), so a cleared active_call never hides
 * an unbilled call.
 */
const REDONE_KEYS: ReadonlySet<string> = new Set(["phase", "iteration", "elapsed_ms", "stagnation", "feedback", "detections"]);

export function saveDurability(patch: Partial<OrchestratorState>, state: OrchestratorState): Durability {
  const redone = (key: string) =>
    REDONE_KEYS.has(key) ||
    (key === "active_call" && patch.active_call === null) ||
    (key === "budget" && patch.budget?.limit_usd === state.budget.limit_usd);
  const keys = Object.keys(patch);
  return keys.length > 0 && keys.every(redone) ? "boundary" : "power";
}

/** Events synced as they are written: resume reads a leg's extent from them (run/finish.ts unfinishedEnd). */
const LEG_EVENTS: ReadonlySet<LokiEvent["kind"]> = new Set(["run_started", "run_finished"]);

/** The phases of an iteration (and the ship gate) whose length the timeline shows. */
const TIMED: ReadonlySet<Phase> = new Set(["reason", "act", "reflect", "verify", "compound", "ship"]);

export function openRunRecord(
  ws: Workspace,
  initial: OrchestratorState,
  onEvent: (event: LokiEvent) => void,
  now: () => Date = () => new Date(),
): RunRecord {
  useLogFile(ws.logFile);
  // The run's own streams — events, the cost ledger, trust events — have one writer, the run: appended
  // under the run lock, an append lock a killed run left is removed here, not by a next append.
  if (holdsRunLock(ws.runLock)) for (const stream of runStreams(ws)) clearDeadLock(stream);
  // When the phase in progress began: known only for phases this process entered (a resumed run's
  // first phase began in another process, so its length is not made up).
  let phaseSince: Date | null = null;
  // What session.json says, as this record last wrote it: rewritten when that changes or an iteration
  // begins (its updated_at is then at most an iteration old), not at every phase.
  let sessionSaid: string | null = null;
  // The iteration orchestrator.json says: session.json is rewritten when a save changes it.
  let written = initial.iteration;
  /** A phase entered: the one left is told with its length (the timeline's phase_finished). */
  const enter = (patch: Partial<OrchestratorState>) => {
    if (patch.phase === undefined || patch.phase === record.state.phase) return;
    const at = now();
    if (phaseSince && TIMED.has(record.state.phase))
      record.emit({
        kind: "phase_finished",
        phase: record.state.phase,
        started_at: phaseSince.toISOString(),
        ms: at.getTime() - phaseSince.getTime(),
      });
    phaseSince = at;
  };
  const record: RunRecord = {
    ws,
    state: initial,
    save(patch) {
      enter(patch);
      // What stage() holds is written too, and never needs more than the save's own durability (REDONE_KEYS only).
      const durability = saveDurability(patch, record.state);
      if (patch.integrity) writeIntegrity(ws, record.state.run_id, patch.integrity);
      // The fingerprints stay in state, but out of the file every save rewrites (tens of KB run from source).
      const { integrity, ...next } = { ...record.state, ...patch, updated_at: now().toISOString() };
      const saved = writeJson(ws.orchestrator, OrchestratorState, next, durability);
      record.state = integrity ? { ...saved, integrity } : saved;
      const pidStart = ownStartSync();
      const says = JSON.stringify([record.state.run_id, record.state.status, record.state.provider, record.state.spec.ref, pidStart]);
      if (says !== sessionSaid || record.state.iteration !== written) {
        writeSession(ws, record.state, process.pid, pidStart, durability);
        sessionSaid = says;
      }
      written = record.state.iteration;
      return record.state;
    },
    stage(patch) {
      if (saveDurability(patch, record.state) !== "boundary")
        throw new Error(`stage: ${Object.keys(patch).join(", ")} must be saved at once`);
      enter(patch);
      record.state = { ...record.state, ...patch };
    },
    emit(body) {
      return record.emitAll([body])[0] as LokiEvent;
    },
    emitAll(bodies) {
      const ts = now().toISOString();
      const events = bodies.map((body) => LokiEvent.parse({ ...body, ts, run_id: record.state.run_id, iteration: record.state.iteration }));
      // Visible to the dashboard at once; on disk for a power loss from the iteration's boundary on —
      // except a leg's first and last events, which say where a resume's leg begins and whether it ended.
      const durability = events.some((e) => LEG_EVENTS.has(e.kind)) ? "power" : "boundary";
      // Only a run writes its events, and only under the run lock (start.ts, resume.ts): held, it is
      // the stream's append lock. Lost or handed over, the append lock is taken as by any writer.
      appendJsonlMany(ws.events, LokiEvent, events, durability, holdsRunLock(ws.runLock));
      for (const event of events) {
        logDebug({ run_id: event.run_id, iteration: event.iteration, phase: record.state.phase, event }, `event ${event.kind}`);
        onEvent(event);
      }
      return events;
    },
    bill(entry) {
      // Synced before it returns: the save that clears the billed call follows it (REDONE_KEYS).
      const line = { ...entry, ts: now().toISOString(), run_id: record.state.run_id };
      appendJsonlMany(ws.costLedger, CostEntry, [line], "power", holdsRunLock(ws.runLock));
    },
  };
  return record;
}

/** state/integrity.json, synced at once: a record of the fingerprints this (re)start took; the comparisons use the copy in memory. */
function writeIntegrity(ws: Workspace, runId: string, integrity: NonNullable<OrchestratorState["integrity"]>): void {
  writeJson(ws.integrity, RunIntegrityFile, { schema_version: SCHEMA_VERSION, run_id: runId, ...integrity });
}

/** The streams only a run writes (through its RunRecord, which only start and resume open, under the run
 *  lock): while the run lock is held it is their append lock (emitAll, bill, loop/trust-sink.ts). */
export function runStreams(ws: Workspace): string[] {
  return [ws.events, ws.costLedger, ws.trustEvents];
}

export function writeSession(
  ws: Workspace,
  state: OrchestratorState,
  pid: number,
  pidStart: string | null,
  durability: Durability = "power",
): void {
  const previous = readJson(ws.session, Session);
  writeJson(
    ws.session,
    Session,
    {
      schema_version: SCHEMA_VERSION,
      run_id: state.run_id,
      pid,
      ...(pidStart ? { pid_start: pidStart } : {}),
      status: state.status,
      provider: state.provider,
      spec: state.spec.ref,
      started_at: previous?.run_id === state.run_id ? previous.started_at : state.updated_at,
      updated_at: state.updated_at,
    },
    durability,
  );
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
  const entries = readJsonlAgain(ws.costLedger, CostEntry).filter((e) => e.run_id === runId);
  return {
    basis: billBasis(entries),
    usd: entries.reduce((sum, e) => sum + e.usd, 0),
    estimated: entries.filter((e) => e.basis === "estimated").reduce((sum, e) => sum + e.usd, 0),
    calls: new Set(entries.map((e) => e.call_id)),
  };
}
