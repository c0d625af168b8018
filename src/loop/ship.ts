// The ship gate: ordered stages that must all say VERIFIED before a run may complete. The loop
// only knows this interface; held-out evaluation and the council plug in as more stages.
import type { GateResult, Spec } from "../core/schema.ts";
import type { Workspace } from "../core/workspace.ts";
import { verdictOf, type Subject, type Verdict } from "../gates/gate.ts";
import type { ReviewAgent, TrustSink } from "../review/agent.ts";
import type { SandboxAvailability } from "../sandbox/detect.ts";
import { runCouncil } from "../review/council.ts";
import { evaluateHeldOut } from "../review/heldout-eval.ts";

export type ShipContext = {
  ws: Workspace;
  runId: string;
  iteration: number;
  /** This iteration's change (derived once, in the iteration's Verify phase). */
  change: Subject;
  spec: Spec;
  /** This iteration's deterministic gate results. */
  gates: GateResult[];
  /** Trust violations seen in the agents' tool calls so far (loop/trust-sink.ts): each one blocks. */
  violations: readonly string[];
  /** The run's sandbox (null: --no-sandbox): held-out verify commands run only inside it. */
  sandbox: SandboxAvailability | null;
  /** Read-only agent calls for reviewers and the judge (billed by the loop). */
  agent: ReviewAgent;
  trust: TrustSink;
  env: Record<string, string | undefined>;
  signal?: AbortSignal;
};

export type StageVerdict = { verdict: Verdict; reasons: string[] };
export type ShipStage = { id: string; run: (ctx: ShipContext) => Promise<StageVerdict> };
export type ShipVerdict = StageVerdict & { stages: { id: string; verdict: Verdict; reasons: string[] }[] };

/** Runs stages in order and stops at the first that does not verify (later stages cost money). */
export async function runShipGate(stages: readonly ShipStage[], ctx: ShipContext): Promise<ShipVerdict> {
  const seen: ShipVerdict["stages"] = [];
  for (const stage of stages) {
    const result = await stage.run(ctx);
    seen.push({ id: stage.id, verdict: result.verdict, reasons: result.reasons });
    if (result.verdict !== "VERIFIED") return { ...result, reasons: result.reasons.map((r) => `${stage.id}: ${r}`), stages: seen };
  }
  if (seen.length === 0) return { verdict: "CONCERNS", reasons: ["no ship-gate stage ran"], stages: seen };
  return { verdict: "VERIFIED", reasons: [], stages: seen };
}

/** Stage 1, always: no trust violation on record, and the deterministic gates of the iteration verify. */
export const deterministicStage: ShipStage = {
  id: "gates",
  run: async (ctx) => (ctx.violations.length > 0 ? { verdict: "BLOCKED", reasons: [...ctx.violations] } : verdictOf(ctx.gates)),
};

/** Stage 2: the held-out items, judged (or checked by their own commands) against the change. */
export const heldoutStage: ShipStage = {
  id: "heldout",
  run: async (ctx) =>
    evaluateHeldOut({
      ws: ctx.ws,
      runId: ctx.runId,
      iteration: ctx.iteration,
      change: ctx.change,
      spec: ctx.spec,
      agent: ctx.agent,
      trust: ctx.trust,
      ...(ctx.sandbox ? { sandbox: ctx.sandbox } : { allowUnsandboxed: true }),
    }),
};

/** Stage 3: the blind council, with a devil's advocate on unanimous approval. */
export const councilStage: ShipStage = {
  id: "council",
  run: async (ctx) =>
    runCouncil({
      ws: ctx.ws,
      runId: ctx.runId,
      iteration: ctx.iteration,
      change: ctx.change,
      spec: ctx.spec,
      gates: ctx.gates,
      agent: ctx.agent,
      trust: ctx.trust,
    }),
};

/** The ship gate a run uses: deterministic gates always; held-out and council unless turned off. */
export function shipStages(options: { heldout: boolean; council: boolean }): ShipStage[] {
  return [deterministicStage, ...(options.heldout ? [heldoutStage] : []), ...(options.council ? [councilStage] : [])];
}
