// What keeps a stalled run from verifying, named from its newest graded iteration: the failing,
// then the inconclusive gates of its gates.json (else the ship gate's and gates' latest feedback),
// one line each — so a stall says "tests inconclusive: no test runner found", not "try harder".
import { join } from "node:path";
import { GateResult } from "../core/schema.ts";
import { readJson, type Workspace } from "../core/workspace.ts";

const MAX_BLOCKERS = 3;

/** `<gate> <status>: <reason>` for each failing gate, then each inconclusive one. */
export function gateBlockers(gates: readonly GateResult[]): string[] {
  const line = (g: GateResult) => `${g.id} ${g.status}: ${g.reason}`;
  return [...gates.filter((g) => g.status === "fail"), ...gates.filter((g) => g.status === "inconclusive")]
    .map(line)
    .slice(0, MAX_BLOCKERS);
}

/**
 * The blockers of the newest iteration up to `iteration` that was graded (an iteration whose agent
 * call failed grades nothing); when its gates all passed, the first lines of the latest feedback
 * (the ship gate's reasons come first there).
 */
export function lastBlockers(ws: Workspace, iteration: number, feedback: readonly string[]): string[] {
  for (let n = iteration; n >= 1; n--) {
    const gates = readJson(join(ws.iteration(n), "gates.json"), GateResult.array());
    if (!gates) continue;
    const blockers = gateBlockers(gates);
    if (blockers.length > 0) return blockers;
    break;
  }
  const lines = feedback.map((text) => text.split("\n")[0]?.trim() ?? "").filter(Boolean);
  return [...new Set(lines)].slice(0, MAX_BLOCKERS);
}

/** A stall's reason: how long nothing changed, and what blocks the run. */
export function stallReason(count: number, blockers: readonly string[]): string {
  const still = `no change to the code in ${count} iterations`;
  return blockers.length === 0 ? still : `${still}; still blocking: ${blockers.join("; ")}`;
}
