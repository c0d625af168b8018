// The held-out verdict cache (.loki/state/heldout-result.json), sealed: an HMAC-SHA256 over the whole
// result keyed by the run's held-out salt, which lives only in ~/.loki where the agent cannot read.
// A result without loki's seal is never reused — whoever wrote it, the judge is asked again.
import { createHmac, timingSafeEqual } from "node:crypto";
import { HeldoutResult } from "../core/evidence-schema.ts";
import { canonicalJson } from "../core/hash.ts";
import { readJson, writeJson, type Workspace } from "../core/workspace.ts";

/** Domain separation: the salt also keys the item commitments; this MAC must never equal one. */
const CONTEXT = "loki/heldout-result/v1\n";

export type Unsealed = Omit<HeldoutResult, "mac">;

/**
 * The seal covers every field, not only (run_id, tree, verdict, counts): the items' statuses and
 * evidence are reused too — for the next prompt's reasons and for the proof.
 */
export function sealOf(salt: string, result: Unsealed): string {
  // canonicalJson drops undefined values: the body is the result without its seal.
  const body = canonicalJson({ ...result, mac: undefined });
  const digest = createHmac("sha256", Buffer.from(salt, "hex"))
    .update(CONTEXT + body)
    .digest("hex");
  return `hmac-sha256:${digest}`;
}

export function isSealed(salt: string, result: HeldoutResult): boolean {
  if (result.mac === undefined) return false;
  const expected = Buffer.from(sealOf(salt, result));
  const given = Buffer.from(result.mac);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export function writeSealedResult(ws: Workspace, salt: string, result: Unsealed): HeldoutResult {
  return writeJson(ws.heldoutResult, HeldoutResult, { ...result, mac: sealOf(salt, result) });
}

/**
 * `reuse`: loki's own verdict for this run and this tree. `forged`: a result for this run that loki
 * did not write (no seal, a wrong seal, or not even readable) — ignored, and the caller records it.
 * `none`: nothing for this run and tree (another run's result cannot be checked: its salt differs).
 */
export type CachedVerdict = { kind: "reuse"; result: HeldoutResult } | { kind: "forged"; detail: string } | { kind: "none" };

export function readCachedVerdict(ws: Workspace, runId: string, tree: string | null, salt: string): CachedVerdict {
  let previous: HeldoutResult | undefined;
  try {
    previous = readJson(ws.heldoutResult, HeldoutResult);
  } catch (error) {
    return { kind: "forged", detail: `${ws.heldoutResult} is unreadable: ${(error as Error).message}` };
  }
  if (!previous || previous.run_id !== runId) return { kind: "none" };
  if (!isSealed(salt, previous)) {
    const how = previous.mac === undefined ? "carries no seal" : "carries a seal that does not match its content";
    return { kind: "forged", detail: `${ws.heldoutResult} ${how} (verdict ${previous.verdict}); ignored, the items are judged again` };
  }
  if (tree === null || previous.tree !== tree) return { kind: "none" };
  return { kind: "reuse", result: previous };
}
