// The dashboard's snapshot: this run's .loki/ (its own events, costs and task queue; the files hold every
// run), the app preview's records (.loki/app/), `loki status` and the model list the controls offer, projected into the JSON
// the page renders. Never git, the network or ~/.loki; unknown is null, never 0; strings redacted again;
// held-out sealed while live.
import { LIVE_STATUSES } from "../core/session-schema.ts";
import { Completion, OrchestratorState, type LokiEvent } from "../core/run-schema.ts";
import { Session } from "../core/session-schema.ts";
import { workspaceAt, type Workspace } from "../core/workspace.ts";
import type { DashboardDeps, RunStatusView } from "./deps.ts";
import { projectAlerts, type Alert } from "./snapshot-alerts.ts";
import { appAge, projectApp, type AppPanelView } from "./snapshot-app.ts";
import { mayReveal, newRedactor, redactDeep, sealDeep } from "./snapshot-clean.ts";
import { projectCost, type CostView } from "./snapshot-cost.ts";
import { projectQueue, type QueuePanelView } from "./snapshot-queue.ts";
import { mtimeOf, newest, readEvents, readLedger, readValid } from "./snapshot-read.ts";
import {
  checklistAge,
  projectChecklist,
  projectCouncil,
  projectGates,
  readProof,
  readRounds,
  sealedStrings,
  type ChecklistView,
  type CouncilView,
  type GatesView,
} from "./snapshot-review.ts";
import { projectTimeline, type IterationView } from "./snapshot-timeline.ts";
import { projectStatus, projectOutcome, projectRun, type OutcomeView, type RunView } from "./snapshot-run.ts";

/** How many of the latest events the snapshot carries (the stream sends the rest as they come). */
export const SNAPSHOT_EVENTS = 300;

export type Snapshot = {
  schema_version: 1;
  generated_at: string;
  /** Bytes of events.jsonl read: the event stream continues from here. */
  offset: number;
  status: RunStatusView;
  run: RunView | null;
  cost: CostView | null;
  timeline: IterationView[];
  checklist: ChecklistView | null;
  gates: GatesView | null;
  council: CouncilView[];
  events: LokiEvent[];
  alerts: Alert[];
  outcome: OutcomeView | null;
  /** The Live App Preview (.loki/app/), or null when there is none. */
  app: AppPanelView | null;
  /** The run's task queue (.loki/queue/) with its own age, or null when the run has none. */
  queue: QueuePanelView | null;
  models: string[];
  ages: Record<"status" | "cost" | "timeline" | "checklist" | "gates" | "council" | "outcome" | "app", string | null>;
};

/** `now`: the clock the burn rate and retry waits are measured against (tests pin it). */
export async function readSnapshot(root: string, deps: DashboardDeps, options: { now?: number } = {}): Promise<Snapshot> {
  const now = options.now ?? Date.now();
  const ws = workspaceAt(root);
  const status = await projectStatus(root, deps);
  // The list is a convenience for the model switch: without it the snapshot still answers.
  const models = await Promise.resolve()
    .then(() => deps.controls.models())
    .catch(() => [] as string[]);
  const state = readValid(ws.orchestrator, OrchestratorState);
  const runId = state?.run_id ?? status.run_id;
  const stream = readEvents(ws.events);
  // events.jsonl and the ledger hold every run the repository has had: each panel is about this one.
  const events = runId === null ? stream.events : stream.events.filter((event) => event.run_id === runId);
  const allCosts = readLedger(ws.costLedger);
  const ledger = runId === null ? allCosts : { ...allCosts, entries: allCosts.entries.filter((entry) => entry.run_id === runId) };
  const completion = LIVE_STATUSES.includes(status.status) ? null : ownCompletion(ws, runId);
  const rounds = readRounds(ws);
  const proof = readProof(ws, completion?.run_id ?? runId);
  const reveal = mayReveal(status, state, completion) ? proof : null;
  const cost = projectCost(ledger, state, events, now);
  const gates = projectGates(ws);
  const snapshot: Snapshot = {
    schema_version: 1,
    generated_at: new Date(now).toISOString(),
    offset: stream.offset,
    status,
    run: state ? projectRun(state, readValid(ws.session, Session), events) : null,
    cost,
    timeline: projectTimeline(events, cost === null || cost.calls === null ? null : ledger.entries),
    checklist: projectChecklist(ws, rounds, reveal),
    gates: gates?.view ?? null,
    council: projectCouncil(rounds),
    events: events.slice(-SNAPSHOT_EVENTS),
    alerts: projectAlerts({
      status,
      events,
      cost,
      completion,
      signals: { pause: mtimeOf(ws.pause), stop: mtimeOf(ws.stop) },
      now,
    }),
    outcome: completion ? projectOutcome(ws, completion) : null,
    app: projectApp(ws),
    queue: projectQueue(ws, runId),
    models,
    ages: {
      status: newest(mtimeOf(ws.session), mtimeOf(ws.orchestrator)),
      cost: mtimeOf(ws.costLedger),
      timeline: mtimeOf(ws.events),
      checklist: checklistAge(ws, rounds),
      gates: gates ? mtimeOf(gates.path) : null,
      council: newest(...rounds.map((round) => mtimeOf(ws.council(round.round)))),
      outcome: completion ? mtimeOf(ws.completion) : null,
      app: appAge(ws),
    },
  };
  // Sealed first, so that redaction can never turn a held-out string into one the seal misses.
  const sealed = reveal ? snapshot : sealDeep(snapshot, sealedStrings(ws, rounds, proof));
  return redactDeep(sealed, newRedactor());
}

/** The completion summary of this run (a summary left by another run is not this one's outcome; nor,
 *  while the run is live again after a resume, the summary of its earlier ending). */
function ownCompletion(ws: Workspace, runId: string | null): Completion | null {
  const completion = readValid(ws.completion, Completion);
  return completion && (runId === null || completion.run_id === runId) ? completion : null;
}
