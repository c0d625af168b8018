// The ship gate: ordered stages that must all say VERIFIED before a run may complete. The loop
// only knows this interface; held-out evaluation and the council plug in as more stages.
import type { GateResult, Spec } from "../core/schema.ts";
import type { Workspace } from "../core/workspace.ts";
import { verdictOf, type Verdict } from "../gates/gate.ts";

export type ShipContext = {
  ws: Workspace;
  runId: string;
  iteration: number;
  startSha: string;
  spec: Spec;
  /** This iteration's deterministic gate results. */
  gates: GateResult[];
  signal?: AbortSignal;
};

export type StageVerdict = { verdict: Verdict; reasons: string[] };
export type ShipStage = { id: string; run: (ctx: ShipContext) => Promise<StageVerdict> };
export type ShipVerdict = StageVerdict & { stages: { id: string; verdict: Verdict }[] };

/** Runs stages in order and stops at the first that does not verify (later stages cost money). */
export async function runShipGate(stages: readonly ShipStage[], ctx: ShipContext): Promise<ShipVerdict> {
  const seen: ShipVerdict["stages"] = [];
  for (const stage of stages) {
    const result = await stage.run(ctx);
    seen.push({ id: stage.id, verdict: result.verdict });
    if (result.verdict !== "VERIFIED") return { ...result, reasons: result.reasons.map((r) => `${stage.id}: ${r}`), stages: seen };
  }
  if (seen.length === 0) return { verdict: "CONCERNS", reasons: ["no ship-gate stage ran"], stages: seen };
  return { verdict: "VERIFIED", reasons: [], stages: seen };
}

/** Stage 1, always: the deterministic gates of the iteration must verify. */
export const deterministicStage: ShipStage = {
  id: "gates",
  run: async (ctx) => verdictOf(ctx.gates),
};
