// The held-out seal for the event stream: lines go out as the run writes them, so each is sealed as
// the snapshot is — every held-out id and text .loki/ names replaced — until the run is over by its own
// files (its completion summary, a loop state that is no longer live) and its proof may reveal them.
import { LIVE_STATUSES } from "../core/session-schema.ts";
import { Completion, OrchestratorState } from "../core/run-schema.ts";
import type { Workspace } from "../core/workspace.ts";
import { sealer } from "./snapshot-clean.ts";
import { readValid } from "./snapshot-read.ts";
import { readProof, readRounds, sealedStrings } from "./snapshot-review.ts";

/** Is the workspace's run over by its own files: a completion summary of this run, a loop state no longer live? */
export function runIsOver(ws: Workspace): boolean {
  const state = readValid(ws.orchestrator, OrchestratorState);
  const completion = readValid(ws.completion, Completion);
  return completion !== null && state !== null && completion.run_id === state.run_id && !LIVE_STATUSES.includes(state.status);
}

/** Is the run over for good: verified, the one outcome `loki resume` does not continue (with the same held-out items)? */
export function runIsFinal(ws: Workspace): boolean {
  return runIsOver(ws) && readValid(ws.completion, Completion)?.outcome === "verified";
}

/** A function that seals one raw events.jsonl line (JSON text); the identity once the run is over. */
export function streamSeal(ws: Workspace, over: boolean = runIsOver(ws)): (line: string) => string {
  const state = readValid(ws.orchestrator, OrchestratorState);
  if (over) return (line) => line;
  const strings = sealedStrings(ws, readRounds(ws), readProof(ws, state?.run_id ?? null));
  // A line is JSON: a text with quotes or backslashes appears there escaped, so both forms are sealed.
  const seal = sealer(strings.flatMap((text) => [text, JSON.stringify(text).slice(1, -1)]));
  return seal ?? ((line) => line);
}
