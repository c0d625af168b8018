// Held-out acceptance items (DESIGN §5), commit-reveal: the items are chosen deterministically,
// stored outside the working tree (~/.loki/heldout/), and only salted hashes go into .loki/.
import { chmodSync } from "node:fs";
import { canonicalJson, randomHex, sha256 } from "../core/hash.ts";
import { heldOutStorePath, itemCommitment, projectKey } from "./heldout-store.ts";
import { HeldOutCommitment, HeldOutStore, SCHEMA_VERSION, Spec, type SpecItem } from "../core/schema.ts";
import { memoOfValidated } from "../core/validated.ts";
import { writeJson, type Workspace } from "../core/workspace.ts";

/** clamp(round_half_up(0.25·N), 1, 5) items, none when N < 4. */
export function heldOutCount(total: number): number {
  if (total < 4) return 0;
  return Math.min(5, Math.max(1, Math.floor(0.25 * total + 0.5)));
}

/** The held-out items: lowest sha256(id) first (an equal rank: the earlier item first). Deterministic
 *  for a given set of ids. Keeps only the few lowest while it ranks, never a sorted copy of every item. */
export function selectHeldOut<T extends { id: string }>(items: readonly T[]): T[] {
  const count = heldOutCount(items.length);
  if (count === 0) return [];
  const lowest: { item: T; rank: string }[] = [];
  for (const item of items) {
    const rank = sha256(item.id);
    if (lowest.length === count && !(rank < (lowest[count - 1] as { rank: string }).rank)) continue;
    let at = lowest.length;
    while (at > 0 && rank < (lowest[at - 1] as { rank: string }).rank) at--;
    lowest.splice(at, 0, { item, rank });
    if (lowest.length > count) lowest.pop();
  }
  return lowest.map((entry) => entry.item);
}

/** The ids of a spec's held-out items; once per spec readSpec produced (plan checks the prompt, then writes the checklist). */
export const heldOutIds: (spec: Spec) => ReadonlySet<string> = memoOfValidated(
  Spec,
  (spec) => new Set(selectHeldOut(spec.items).map((item) => item.id)),
);

export type CommittedHeldOut = { commitment: HeldOutCommitment; store: HeldOutStore; storePath: string };

/** Select, store outside the tree, and write the commitment into .loki/checklist/held-out.json. */
export function commitHeldOut(ws: Workspace, runId: string, items: readonly SpecItem[], now: Date = new Date()): CommittedHeldOut {
  const chosen = selectHeldOut(items);
  const salt = randomHex(16);
  const store: HeldOutStore = {
    schema_version: SCHEMA_VERSION,
    run_id: runId,
    project: projectKey(ws.root),
    salt,
    items: chosen.map((item) => ({ id: item.id, text: item.text, ...(item.verify ? { verify: item.verify } : {}) })),
    created_at: now.toISOString(),
  };
  const storePath = heldOutStorePath(ws.root, runId);
  writeJson(storePath, HeldOutStore, store);
  chmodSync(storePath, 0o600);
  const commitment = writeJson(ws.heldOut, HeldOutCommitment, {
    schema_version: SCHEMA_VERSION,
    run_id: runId,
    algorithm: "sha256-rank/v1",
    total_items: items.length,
    count: chosen.length,
    commitments: chosen.map((item) => itemCommitment(salt, item)),
    store_sha256: sha256(canonicalJson(store)),
    created_at: now.toISOString(),
  });
  return { commitment, store, storePath };
}
