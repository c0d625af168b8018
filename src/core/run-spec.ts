// Where the spec of the repository's run (or its last plan) was read: the run's copy of the spec records
// it. Gates hide that file from the project's commands, the preview from the app: it names held-out items.
import { isAbsolute, join } from "node:path";
import { Spec } from "./schema.ts";
import { readJson } from "./workspace.ts";

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
