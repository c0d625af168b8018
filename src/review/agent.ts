// What the review stage needs from whoever runs the agents (the loop): one read-only call at a time
// for a reviewer, the devil's advocate or the held-out judge, billed by the caller. Types only.

export type ReviewCall = {
  role: "review" | "judge";
  /** File-safe name: review-security, judge, devils-advocate… (transcripts are named after it). */
  label: string;
  prompt: string;
  systemPrompt: string;
  /** The review copy to work in (never the user's tree). */
  cwd: string;
};

export type ReviewAnswer = {
  ok: boolean;
  finalText: string;
  costUsd: number;
  /** Where the raw output was kept, relative to .loki/. */
  transcript: string;
  provider: string;
  model: string;
  errorClass: string | null;
  /**
   * The run's budget stopped this call: `refused` (not started: the cap was reached) or `cut_off`
   * (the provider stopped it at the bound it was given). Such an answer is never a verdict, and a
   * stage with one does not pass: the run ends on its budget.
   */
  budgetStop?: { how: "refused" | "cut_off"; spentUsd: number; limitUsd: number | null };
};

export type ReviewAgent = {
  /** Whether `calls` calls may run at once: the provider can, and the run's budget leaves room for all of them. */
  parallel: (calls: number) => boolean;
  call: (req: ReviewCall) => Promise<ReviewAnswer>;
};

export type TrustSink = (
  kind: "gate_result" | "heldout_eval" | "council_vote" | "reviewer_mutation" | "state_forged",
  data: Record<string, unknown>,
) => void;
