// The held-out store outside the working tree (~/.loki/heldout/<project>/<run>.json): where it
// lives, the per-item commitment, and the reveal that proves a store matches its commitment.
import { existsSync, readdirSync, realpathSync } from "node:fs";
import { basename } from "node:path";
import { internalError } from "../core/errors.ts";
import { canonicalJson, sha256 } from "../core/hash.ts";
import { HeldOutCommitment, HeldOutStore } from "../core/schema.ts";
import { lokiHomeAt, readJson, userHome, type Workspace } from "../core/workspace.ts";

export function itemCommitment(salt: string, item: { id: string; text: string }): string {
  return sha256(`${salt}\n${item.id}\n${item.text}`);
}

/**
 * Where the hidden items of a project's run live: the user's home, never the repo. A run id is
 * unique, so a store written before the repository was moved or copied is found under its old
 * project key too (the commitment, not the path, proves it is the run's).
 */
export function heldOutStorePath(root: string, runId: string, home: string = userHome()): string {
  const paths = lokiHomeAt(home);
  const keyed = paths.heldOut(projectKey(root), runId);
  if (existsSync(keyed)) return keyed;
  let projects: string[] = [];
  try {
    projects = readdirSync(paths.heldOutDir);
  } catch {
    return keyed;
  }
  const found = projects.map((project) => paths.heldOut(project, runId)).filter((path) => existsSync(path));
  return found.length === 1 ? (found[0] as string) : keyed;
}

export function projectKey(root: string): string {
  let real = root;
  try {
    real = realpathSync(root);
  } catch {
    // a path that does not exist yet keys by its given form
  }
  const name = basename(real).replace(/[^A-Za-z0-9._-]/g, "_") || "root";
  return `${name}-${sha256(real).slice(0, 8)}`;
}

/** Why a run's held-out items cannot be judged on this machine (a commitment to items whose store
 *  is not here), or null. Cheap: the loop asks before each iteration, so a run stops instead of paying on. */
export function heldOutStoreProblem(ws: Workspace, runId: string): string | null {
  let commitment: HeldOutCommitment | undefined;
  try {
    commitment = readJson(ws.heldOut, HeldOutCommitment);
  } catch {
    return null; // a corrupt commitment is reported where it is revealed
  }
  if (!commitment || commitment.run_id !== runId || commitment.count === 0) return null;
  const path = heldOutStorePath(ws.root, runId);
  return existsSync(path)
    ? null
    : `the held-out store of run ${runId} is not on this machine (${path}): its ${commitment.count} held-out item${commitment.count === 1 ? "" : "s"} cannot be judged, so the run cannot verify here`;
}

/** Reveal: read the store and prove it is the one committed to. Throws on any mismatch. */
export function revealHeldOut(ws: Workspace, runId: string): HeldOutStore {
  const commitment = readJson(ws.heldOut, HeldOutCommitment);
  const storePath = heldOutStorePath(ws.root, runId);
  const store = readJson(storePath, HeldOutStore);
  if (!commitment || commitment.run_id !== runId) throw internalError(`no held-out commitment for run ${runId}`);
  if (!store) throw internalError(`held-out store missing: ${storePath}`);
  const matches =
    sha256(canonicalJson(store)) === commitment.store_sha256 &&
    store.items.length === commitment.count &&
    store.items.every((item, index) => itemCommitment(store.salt, item) === commitment.commitments[index]);
  if (!matches) throw internalError(`held-out store ${storePath} does not match its commitment`);
  return store;
}
