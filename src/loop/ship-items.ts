// The ship gate's extra stage for a run that dead-lettered tasks: a read-only judge of every visible
// item against the change, each of which must pass (unknown is not a pass). With the held-out stage
// that judges every held-out item, such a run ends VERIFIED only when every item still verifies.
import type { ShipStage } from "./ship.ts";
import { decideItems } from "../review/heldout-eval.ts";
import { revealHeldOut } from "../spec/heldout-store.ts";

export const DEAD_LETTER_STAGE_ID = "items";

/** `heldout`: the run holds items out (the held-out stage judges those; a store that cannot be read then fails closed). */
export const itemsStage = (heldout: boolean): ShipStage => ({
  id: DEAD_LETTER_STAGE_ID,
  title: "every-item check (tasks were dead-lettered)",
  run: async (ctx) => {
    // The held-out stage judges those; here every item the agent was shown. A store that cannot be
    // read stops here too (never a guess that would name a held-out item in a reason).
    let hidden = new Set<string>();
    if (heldout)
      try {
        hidden = new Set(revealHeldOut(ctx.ws, ctx.runId).items.map((item) => item.id));
      } catch (error) {
        const reason = `the held-out items could not be revealed: ${(error as Error).message}`;
        return { verdict: "CONCERNS", reasons: [reason], fatal: reason };
      }
    const items = ctx.spec.items.filter((item) => !hidden.has(item.id));
    const decided = await decideItems(
      {
        ws: ctx.ws,
        change: ctx.change,
        spec: ctx.spec,
        agent: ctx.agent,
        trust: ctx.trust,
        ...(ctx.sandbox ? { sandbox: ctx.sandbox } : { allowUnsandboxed: true }),
      },
      items.map((item) => ({ id: item.id, text: item.text, ...(item.verify ? { verify: item.verify } : {}) })),
      { heading: "Acceptance check (dead-lettered tasks)", label: "judge-items", who: "the every-item judge" },
    );
    if (!("judged" in decided)) return { verdict: "CONCERNS", reasons: [decided.notRun] };
    const failed = decided.judged.filter((j) => j.status === "fail");
    const unknown = decided.judged.filter((j) => j.status === "unknown");
    const reasons = [
      ...failed.map((j) => `item ${j.id} is not met: ${j.evidence || "the judge gave no evidence"}`),
      ...unknown.map((j) => `item ${j.id} could not be checked: ${j.evidence || "no evidence"}`),
    ];
    return { verdict: failed.length > 0 ? "BLOCKED" : unknown.length > 0 ? "CONCERNS" : "VERIFIED", reasons };
  },
});

/** The run's stages, with the every-item check before the council when tasks were dead-lettered. */
export function withDeadLetterStage(stages: readonly ShipStage[], deadLettered: boolean, heldout: boolean): readonly ShipStage[] {
  if (!deadLettered || stages.some((s) => s.id === DEAD_LETTER_STAGE_ID)) return stages;
  const council = stages.findIndex((s) => s.id === "council");
  const at = council === -1 ? stages.length : council;
  return [...stages.slice(0, at), itemsStage(heldout), ...stages.slice(at)];
}
