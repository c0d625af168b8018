// Trust events from the loop's point of view: each one tagged with the run and the iteration in
// progress, appended to .loki/metrics/trust-events.jsonl; and the watch on every agent tool call
// that turns a reach for loki's private paths into a violation the ship gate will not pass (the
// one way any violation is recorded).
import { TrustEvent } from "../core/evidence-schema.ts";
import { holdsRunLock } from "../core/run-lock.ts";
import { appendJsonlMany, type Durability, lokiHomeAt, userHome } from "../core/workspace.ts";
import type { ProviderEvent } from "../providers/provider.ts";
import { privateAccess } from "../review/private-access.ts";
import type { TrustSink } from "../review/agent.ts";
import type { RunRecord } from "./run-state.ts";

type Kind = TrustEvent["kind"];

export function trustSink(env: { record: RunRecord }): TrustSink {
  return (kind, data) => trust(env.record, kind, data);
}

export function trust(record: RunRecord, kind: Kind, data: Record<string, unknown>): void {
  trustAll(record, kind, [data]);
}

/** Several trust events of one kind in one locked append (a round of gate results). `durability`: a
 *  violation is synced at once; what a redo of the iteration records again may wait for its boundary. */
export function trustAll(record: RunRecord, kind: Kind, data: readonly Record<string, unknown>[], durability: Durability = "power"): void {
  const ts = new Date().toISOString();
  const { run_id, iteration } = record.state;
  appendJsonlMany(
    record.ws.trustEvents,
    TrustEvent,
    data.map((d) => ({ run_id, iteration, kind, data: d, ts })),
    durability,
    // Only a run writes them (run-state.ts runStreams): the run lock it holds is their append lock.
    holdsRunLock(record.ws.runLock),
  );
}

/** Called with every event of every agent call: a tool call into loki's private paths is recorded. */
export function watchToolCall(record: RunRecord, role: string, event: ProviderEvent): void {
  const reason = privateAccess(event, { home: userHome(), lokiHome: lokiHomeAt().dir, repoLoki: record.ws.dir, root: record.ws.root });
  if (reason) recordViolation(record, role, reason);
}

/** A trust violation: kept in the run's state (the ship gate will not pass), warned, and logged. */
export function recordViolation(record: RunRecord, role: string, reason: string, kind: Kind = "private_access"): void {
  record.save({ violations: [...record.state.violations, `${role}: ${reason}`] });
  record.emit({ kind: "warning", message: `trust violation (${role}): ${reason}` });
  trust(record, kind, { role, reason });
}
