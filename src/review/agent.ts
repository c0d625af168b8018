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
};

export type ReviewAgent = {
  /** The provider can run several calls at once. */
  parallel: boolean;
  call: (req: ReviewCall) => Promise<ReviewAnswer>;
};

export type TrustSink = (
  kind: "gate_result" | "heldout_eval" | "council_vote" | "reviewer_mutation" | "state_forged",
  data: Record<string, unknown>,
) => void;
