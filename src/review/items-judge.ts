// A read-only judge of acceptance items against the change: one call in its own review copy, its answer
// in the verdict protocol, one status per item. No answer, a mutation or an unusable answer leaves every
// item `unknown` (never a pass). Used for the held-out items and, when tasks were dead-lettered, for every visible one.
import type { DiffSubject } from "../gates/gate.ts";
import type { HeldoutResult } from "../core/evidence-schema.ts";
import { renderItems } from "../spec/items.ts";
import type { ReviewAgent, TrustSink } from "./agent.ts";
import { diffForReview } from "./diff-text.ts";
import { inReviewTrees } from "./review-tree.ts";
import { PROTOCOL, parseVerdict } from "./verdict.ts";

export type Judged = Omit<HeldoutResult["items"][number], "category">;
export type JudgeInput = {
  root: string;
  change: DiffSubject;
  agent: ReviewAgent;
  trust: TrustSink;
  items: { id: string; text: string }[];
  /** The prompt's heading ("Held-out acceptance check") and the call's label (transcript name). */
  heading: string;
  label: string;
  /** Who the judge is, in the budget's words: "the held-out judge". */
  who: string;
};

export async function judgeItems(input: JudgeInput): Promise<Judged[] | { notRun: string }> {
  const { items } = input;
  const prompt = [
    `# ${input.heading}`,
    "",
    "Decide, from the repository and the change below, whether each acceptance item is met. Be strict:",
    "an item is `pass` only with concrete evidence (file:line). Do not modify anything.",
    "",
    "## Items",
    renderItems(items),
    "",
    "## The change since the run started",
    diffForReview(input.change),
    "",
    PROTOCOL,
  ].join("\n");
  const [isolated] = await inReviewTrees(input.root, [input.label], false, (label, dir) =>
    input.agent.call({ role: "judge", label, prompt, systemPrompt: "You are a strict, read-only acceptance judge.", cwd: dir }),
  );
  const all = (evidence: string): Judged[] => items.map((i) => ({ id: i.id, status: "unknown", method: "judge", evidence }));
  if (!isolated) return all("the judge did not run");
  const stop = isolated.result.budgetStop;
  if (stop && !isolated.mutation)
    return {
      notRun: stop.how === "refused" ? `${input.who} did not run: the run's budget is spent` : `the run's budget stopped ${input.who}`,
    };
  if (isolated.mutation) {
    input.trust("reviewer_mutation", { role: input.label, detail: isolated.mutation });
    return all(`verdict discarded: the judge ${isolated.mutation}`);
  }
  const parsed = parseVerdict(isolated.result.finalText);
  if (!parsed.ok) return all(`judge answer unusable: ${parsed.reason}`);
  return items.map((i) => {
    const answer = parsed.verdict.items.find((a) => a.id === i.id);
    return answer
      ? { id: i.id, status: answer.status, method: "judge", evidence: answer.evidence ?? "" }
      : { id: i.id, status: "unknown", method: "judge", evidence: "the judge did not answer for this item" };
  });
}
