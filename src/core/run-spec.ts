// Where the spec of the repository's run (or its last plan) was read: the run's copy of the spec records
// it. The preview hides that file from the app, `loki verify` from the project's commands while the run
// can still resume: it names held-out items.
import { isAbsolute, join } from "node:path";
import { Completion, OrchestratorState } from "./run-schema.ts";
import { Spec } from "./schema.ts";
import { readJson, workspaceAt } from "./workspace.ts";

/** The run's spec file (the run's copy of the spec names where it was read), absolute; null when none is recorded. */
export function runSpecPath(root: string): string | null {
  let path: string | undefined;
  try {
    path = (readJson(join(root, ".loki", "state", "run-spec.json"), Spec) ?? readJson(join(root, ".loki", "spec", "spec.json"), Spec))
      ?.source.path;
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
  let path: string | undefined;
  try {
    path = readJson(ws.runSpec, Spec)?.source.path;
  } catch {
    path = undefined;
  }
  return path && isAbsolute(path) ? path : null;
}
