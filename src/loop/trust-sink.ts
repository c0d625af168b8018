// Trust events from the loop's point of view: each one tagged with the run and the iteration in
// progress, appended to .loki/metrics/trust-events.jsonl.
import { TrustEvent } from "../core/evidence-schema.ts";
import { appendJsonl } from "../core/workspace.ts";
import type { TrustSink } from "../review/agent.ts";
import type { RunRecord } from "./run-state.ts";

type Kind = TrustEvent["kind"];

export function trustSink(env: { record: RunRecord }): TrustSink {
  return (kind, data) => trust(env.record, kind, data);
}

export function trust(record: RunRecord, kind: Kind, data: Record<string, unknown>): void {
  appendJsonl(record.ws.trustEvents, TrustEvent, { run_id: record.state.run_id, iteration: record.state.iteration, kind, data, ts: new Date().toISOString() });
}
