// Where the spec of the repository's run (or its last plan) was read: the run's copy of the spec records
// it. The preview hides that file from the app, `loki verify` from the project's commands while the run
// can still resume: it names held-out items.
import { isAbsolute } from "node:path";
import { Completion, OrchestratorState } from "./run-schema.ts";
import { Spec } from "./schema.ts";
import { readJson, workspaceAt } from "./workspace.ts";

/** The run's spec file (the run's copy of the spec names where it was read), absolute; null when none is recorded. */
export function runSpecPath(root: string): string | null {
  const ws = workspaceAt(root);
  return specSource(ws.runSpec) ?? specSource(ws.spec);
}

/** The absolute path a spec copy says it was read from; null when the file is missing, unreadable or names none. */
function specSource(file: string): string | null {
  let path: string | undefined;
  try {
    path = readJson(file, Spec)?.source.path;
  } catch {
    path = undefined;
  }
  return path && isAbsolute(path) ? path : null;
}

/**
 * The spec of a run `loki resume` could still continue — stopped, capped, crashed or under way (a
 * verified run is over for good) — or null. Its held-out items are still to be judged: the commands
 * `loki verify` runs must not read it. A plan alone (.loki/spec/spec.json) hides nothing.
 */
export function resumableRunSpec(root: string): string | null {
  const ws = workspaceAt(root);
  let state: OrchestratorState | undefined;
  let completion: Completion | undefined;
  try {
    state = readJson(ws.orchestrator, OrchestratorState);
    completion = readJson(ws.completion, Completion);
  } catch {
    // An unreadable state is a run loki cannot rule out: hide what its spec copy names.
  }
  if (state && completion?.run_id === state.run_id && completion.outcome === "verified") return null;
  return specSource(ws.runSpec);
}
