// Spec drift during a run, for the spec_drift gate: when the repository has a spec lock, the locked
// spec is read again (files and OpenSpec dirs only: an issue is not re-fetched every iteration).
import type { Config } from "../core/config.ts";
import { SpecLock, type DriftReport } from "../core/schema.ts";
import { readJson, type Workspace } from "../core/workspace.ts";
import { diffLock } from "./lock.ts";
import { readSpec, rereadArgs } from "./read.ts";

/** undefined: no lock (the gate skips); null: the spec cannot be read now (also skipped, noted). */
export async function currentDrift(ws: Workspace, config: Config, env: Record<string, string | undefined>): Promise<DriftReport | null | undefined> {
  const lock = readJson(ws.specLock, SpecLock);
  if (!lock || lock.source.kind === "issue") return undefined;
  try {
    const how = rereadArgs(lock.source);
    const spec = await readSpec(how.arg, { cwd: ws.root, config, env, explicit: how.explicit });
    return diffLock(lock, spec, new Date());
  } catch {
    return null;
  }
}
