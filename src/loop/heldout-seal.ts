// The held-out items' ids and texts as one sealing function for what the loop keeps and shows later:
// ship-gate reasons (the council saw every item) before they become feedback or tasks, and the plan.
// loki reveals them from its private store; the agent never runs this code.
import { sealer } from "../core/text.ts";
import type { Workspace } from "../core/workspace.ts";
import { revealHeldOut } from "../spec/heldout-store.ts";

/** Replaces every held-out id and text in a string by [held-out]; identity when the run holds none out. */
export function heldOutSeal(ws: Workspace, runId: string): (text: string) => string {
  let items: { id: string; text: string }[];
  try {
    items = revealHeldOut(ws, runId).items;
  } catch {
    // No store (held-out off) or none readable: the held-out stage ends such a run before any reason is kept.
    return (text) => text;
  }
  return sealer(items.flatMap((item) => [item.text, item.id])) ?? ((text) => text);
}
