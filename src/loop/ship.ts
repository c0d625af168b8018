// The ship gate: ordered stages that must all say VERIFIED before a run may complete. The loop
// only knows this interface; held-out evaluation and the council plug in as more stages. A stage
// whose agent call the run's budget stopped is not a pass: the gate ends there, saying what did not run.
import type { GateResult, Spec } from "../core/schema.ts";
import type { Workspace } from "../core/workspace.ts";
import { verdictOf, type DiffSubject, type Verdict } from "../gates/gate.ts";
import type { ReviewAgent, ReviewAnswer, TrustSink } from "../review/agent.ts";
import type { SandboxAvailability } from "../sandbox/detect.ts";
import { runCouncil } from "../review/council.ts";
import { evaluateHeldOut } from "../review/heldout-eval.ts";
import { budgetReason } from "./budget.ts";

export type ShipContext = {
  ws: Workspace;
  runId: string;
  iteration: number;
  /** This iteration's change (derived once, in the iteration's Verify phase). */
  change: DiffSubject;
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

/** `fatal`: this stage can never pass on this machine (e.g. the held-out store is gone): the run ends with an error. */
export type StageVerdict = { verdict: Verdict; reasons: string[]; fatal?: string };
/** `title`: how a reason names the stage ("held-out check"). */
export type ShipStage = { id: string; title?: string; run: (ctx: ShipContext) => Promise<StageVerdict> };
/** `budget`: set when the run's budget stopped an agent call of the gate — the run ends on it (exit 4). */
export type ShipVerdict = StageVerdict & { stages: { id: string; verdict: Verdict; reasons: string[] }[]; budget?: string };

/** Runs stages in order and stops at the first that does not verify (later stages cost money). */
export async function runShipGate(stages: readonly ShipStage[], ctx: ShipContext): Promise<ShipVerdict> {
  const seen: ShipVerdict["stages"] = [];
  for (const [index, stage] of stages.entries()) {
    const calls: Called[] = [];
    const result = await stage.run({ ...ctx, agent: watched(ctx.agent, calls) });
    seen.push({ id: stage.id, verdict: result.verdict, reasons: result.reasons });
    const budget = budgetStopped(stage, calls, stages.slice(index + 1));
    if (result.fatal) return { verdict: "CONCERNS", reasons: [`${stage.id}: ${result.fatal}`], stages: seen, fatal: result.fatal };
    if (budget) return { verdict: result.verdict === "VERIFIED" ? "CONCERNS" : result.verdict, reasons: [budget], stages: seen, budget };
    if (result.verdict !== "VERIFIED") return { ...result, reasons: result.reasons.map((r) => `${stage.id}: ${r}`), stages: seen };
  }
  if (seen.length === 0) return { verdict: "CONCERNS", reasons: ["no ship-gate stage ran"], stages: seen };
  return { verdict: "VERIFIED", reasons: [], stages: seen };
}

type Called = { label: string; answer: ReviewAnswer };

/** The same agent, with every answer kept for the gate to read after the stage. */
function watched(agent: ReviewAgent, calls: Called[]): ReviewAgent {
  return {
    parallel: (n) => agent.parallel(n),
    call: async (req) => {
      const answer = await agent.call(req);
      calls.push({ label: req.label, answer });
      return answer;
    },
  };
}

/** "budget reached at the ship gate ($0.15 of $0.15): held-out check and council not run", or null. */
function budgetStopped(stage: ShipStage, calls: Called[], later: readonly ShipStage[]): string | null {
  const stopped = calls.filter((c) => c.answer.budgetStop);
  const last = stopped.map((c) => c.answer.budgetStop).at(-1);
  if (!last) return null;
  const title = (s: ShipStage) => s.title ?? s.id;
  const noneRan = stopped.length === calls.length && stopped.every((c) => c.answer.budgetStop?.how === "refused");
  const notRun = [...(noneRan ? [title(stage)] : []), ...later.map(title)];
  const parts = [
    ...(noneRan ? [] : [`${title(stage)} incomplete (${stopped.map((c) => `${c.label} ${howStopped(c.answer)}`).join(", ")})`]),
    ...(notRun.length > 0 ? [`${notRun.join(" and ")} not run`] : []),
  ];
  const spent = Math.max(...stopped.map((c) => c.answer.budgetStop?.spentUsd ?? 0));
  return budgetReason("at the ship gate", spent, last.limitUsd, parts.join("; "));
}

/** Stage 1, always: no trust violation on record, and the deterministic gates of the iteration verify. */
export const deterministicStage: ShipStage = {
  id: "gates",
  run: async (ctx) => (ctx.violations.length > 0 ? { verdict: "BLOCKED", reasons: [...ctx.violations] } : verdictOf(ctx.gates)),
};

/** Stage 2: the held-out items, judged (or checked by their own commands) against the change. */
export const heldoutStage: ShipStage = {
  id: "heldout",
  title: "held-out check",
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
  title: "council",
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

function howStopped(answer: ReviewAnswer): string {
  return answer.budgetStop?.how === "cut_off" ? "cut off at its bound" : "not run";
}
