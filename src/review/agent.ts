// What the review stage needs from whoever runs the agents (the loop): one read-only call at a time
// for a reviewer, the devil's advocate, the held-out judge or the planner, billed by the caller. Types only.
import type { RunPhase } from "../core/model-tiers.ts";

export type ReviewCall = {
  /** plan: the planning pass, read-only like a reviewer (billed as plan, at the reason phase's tier). */
  role: "review" | "judge" | "plan";
  /** File-safe name: review-security, judge, devils-advocate… (transcripts are named after it). */
  label: string;
  prompt: string;
  systemPrompt: string;
  /** The review copy to work in (never the user's tree). */
  cwd: string;
  /** The run phase whose model tier the call runs at (core/models.ts); default: the role's (verify). */
  phase?: RunPhase;
  /** Where its transcript goes, relative to .loki/ (default: the iteration's directory). */
  transcriptDir?: string;
  /** Paths this call must not see, besides what no call sees (the planner: the spec file and git). */
  hidden?: string[];
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
