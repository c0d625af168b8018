// Trust events from the loop's point of view: each one tagged with the run and the iteration in
// progress, appended to .loki/metrics/trust-events.jsonl.
import type { TrustSink } from "../trust/agent.ts";
import { recordTrustEvent } from "../trust/metrics.ts";
import type { RunRecord } from "./run-state.ts";

type Kind = Parameters<typeof recordTrustEvent>[1]["kind"];

export function trustSink(env: { record: RunRecord }): TrustSink {
  return (kind, data) => trust(env.record, kind, data);
}

export function trust(record: RunRecord, kind: Kind, data: Record<string, unknown>): void {
  recordTrustEvent(record.ws, { run_id: record.state.run_id, iteration: record.state.iteration, kind, data });
}
