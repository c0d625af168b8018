// The blind council (DESIGN §5): three read-only reviewers — requirements, code quality,
// security — each with the spec, the diff and the gate results, none seeing another's verdict.
// Pass: ≥ 2 APPROVE and no critical/high finding; a unanimous APPROVE must survive a devil's advocate.
// A reviewer the run's budget stopped is no vote: the council then does not pass (nor record a round if none ran).
import type { DiffSubject } from "../gates/gate.ts";
import { readdirSync } from "node:fs";
import { dirname } from "node:path";
import { CouncilRound, type ReviewerRecord, type VerdictName } from "../core/evidence-schema.ts";
import { renderItems } from "../spec/items.ts";
import { SCHEMA_VERSION, type GateResult, type Spec } from "../core/schema.ts";
import { writeJson, type Workspace } from "../core/workspace.ts";
import type { ReviewAgent, ReviewAnswer, TrustSink } from "./agent.ts";
import { diffForReview } from "./diff-text.ts";
import { inReviewTrees, type Isolated } from "./review-tree.ts";
import { PROTOCOL, parseVerdict } from "./verdict.ts";

export type CouncilInput = {
  ws: Workspace;
  runId: string;
  iteration: number;
  change: DiffSubject;
  spec: Spec;
  gates: GateResult[];
  agent: ReviewAgent;
  trust: TrustSink;
};
/** `round`: null when the budget let no reviewer run (nothing to record). */
export type CouncilOutcome = { verdict: VerdictName; reasons: string[]; round: CouncilRound | null };

const ROLES: Record<string, string> = {
  requirements:
    "You review whether the change implements the spec: go through every acceptance item and mark it pass, fail or unknown with file:line evidence. REJECT when an item is not met.",
  "code-quality":
    "You review code quality: correctness, error handling, tests that really test the behaviour, maintainability. REJECT for defects that would break users; report lesser issues as medium or low findings.",
  security:
    "You review security, adversarially: injection, unsafe shell or file handling, secrets in code, missing authorization, unsafe defaults, dependency risks, and tests or checks weakened to pass. REJECT for any critical or high issue.",
};
const DEVIL =
  "You are the devil's advocate. Three reviewers approved this change. Assume they missed something and look for a real blocker. REJECT only with a concrete critical or high finding that names file and line; otherwise APPROVE.";
const BLOCKING = new Set(["critical", "high"]);

export async function runCouncil(input: CouncilInput): Promise<CouncilOutcome> {
  const round = nextRound(input.ws);
  const context = await reviewContext(input);
  const roles = Object.keys(ROLES);
  const batch = await inReviewTrees(input.ws.root, roles, input.agent.parallel(roles.length), (role, dir) =>
    input.agent.call({
      role: "review",
      label: `review-${role}`,
      prompt: `# Review: ${role}\n\n${context}`,
      systemPrompt: ROLES[role] as string,
      cwd: dir,
    }),
  );
  const stopped = batch.filter((r) => r.result.budgetStop).map((r) => r.label);
  if (stopped.length === batch.length && batch.every((r) => r.result.budgetStop?.how === "refused"))
    return { verdict: "CONCERNS", reasons: ["the council did not run: the run's budget is spent"], round: null };
  const reviewers = batch.map((r) => record(r, input.trust));
  const approvals = reviewers.filter((r) => r.verdict === "APPROVE").length;
  const blocking = reviewers.flatMap((r) =>
    r.findings
      .filter((f) => BLOCKING.has(f.severity))
      .map((f) => `${r.role}: ${f.severity} ${f.file ?? "?"}:${f.line ?? "?"} ${f.message}`),
  );
  const reasons: string[] = [...blocking];
  let devils: ReviewerRecord | null = null;
  let verdict: VerdictName;
  if (stopped.length > 0) {
    verdict = "CONCERNS";
    reasons.push(`the run's budget stopped ${stopped.join(", ")}: the council is incomplete`);
  } else if (approvals === reviewers.length && blocking.length === 0) {
    const [da] = await inReviewTrees(input.ws.root, ["devils-advocate"], false, (label, dir) =>
      input.agent.call({ role: "review", label, prompt: `# Devil's advocate\n\n${context}`, systemPrompt: DEVIL, cwd: dir }),
    );
    devils = da ? record(da, input.trust) : null;
    const blocker = devils?.findings.find((f) => BLOCKING.has(f.severity) && f.file && f.line);
    if (da?.result.budgetStop) {
      verdict = "CONCERNS";
      reasons.push(`the run's budget stopped the devil's advocate: the council is incomplete`);
    } else if (devils?.verdict === "REJECT" && blocker) {
      verdict = "BLOCKED";
      reasons.push(`devil's advocate found a blocker: ${blocker.severity} ${blocker.file}:${blocker.line} ${blocker.message}`);
    } else if (!devils || devils.verdict === "INCONCLUSIVE") {
      verdict = "CONCERNS";
      reasons.push(`devil's advocate gave no usable answer${devils?.note ? ` (${devils.note})` : ""}`);
    } else verdict = "VERIFIED";
  } else {
    const rejected = reviewers.filter((r) => r.verdict === "REJECT").length;
    verdict = blocking.length > 0 || rejected >= 2 ? "BLOCKED" : approvals >= 2 ? "VERIFIED" : "CONCERNS";
    for (const r of reviewers.filter((x) => x.verdict !== "APPROVE"))
      reasons.push(`${r.role}: ${r.verdict}${r.note ? ` (${r.note})` : ""}`);
  }
  const saved = writeJson(input.ws.council(round), CouncilRound, {
    schema_version: SCHEMA_VERSION,
    run_id: input.runId,
    round,
    iteration: input.iteration,
    at: new Date().toISOString(),
    reviewers,
    devils_advocate: devils,
    passed: verdict === "VERIFIED",
    reasons,
  });
  return { verdict, reasons: verdict === "VERIFIED" ? [] : reasons, round: saved };
}

function record(isolated: Isolated<ReviewAnswer>, trust: TrustSink): ReviewerRecord {
  const answer = isolated.result;
  const role = isolated.label;
  const base = { role, provider: answer.provider, model: answer.model, transcript: answer.transcript, usd: answer.costUsd };
  if (isolated.mutation) {
    trust("reviewer_mutation", { role, detail: isolated.mutation });
    return {
      ...base,
      verdict: "INCONCLUSIVE",
      findings: [],
      items: [],
      note: `verdict discarded: the reviewer ${isolated.mutation}`,
      mutation: true,
    };
  }
  if (answer.budgetStop) {
    const note = answer.budgetStop.how === "refused" ? "not run: the run's budget is spent" : "stopped at the run's budget";
    return { ...base, verdict: "INCONCLUSIVE", findings: [], items: [], note, mutation: false };
  }
  const parsed = parseVerdict(answer.finalText);
  const out: ReviewerRecord = parsed.ok
    ? {
        ...base,
        verdict: parsed.verdict.verdict,
        findings: parsed.verdict.findings,
        items: parsed.verdict.items,
        note: null,
        mutation: false,
      }
    : {
        ...base,
        verdict: "INCONCLUSIVE",
        findings: [],
        items: [],
        note: answer.ok ? parsed.reason : `the call failed (${answer.errorClass ?? "error"})`,
        mutation: false,
      };
  trust("council_vote", { role, verdict: out.verdict, findings: out.findings.length });
  return out;
}

async function reviewContext(input: CouncilInput): Promise<string> {
  const gates = input.gates.map((g) => `- ${g.id}: ${g.status} — ${g.reason}`).join("\n");
  return [
    `Spec: ${input.spec.title}`,
    input.spec.summary ?? "",
    "",
    "## Acceptance items",
    renderItems(input.spec.items),
    "",
    "## Deterministic checks on this change",
    gates || "- (none)",
    "",
    "## The change",
    diffForReview(input.change),
    "",
    "You are one of several independent reviewers; you will not see the others' verdicts. Do not modify anything.",
    PROTOCOL,
  ].join("\n");
}

function nextRound(ws: Workspace): number {
  try {
    const taken = readdirSync(dirname(ws.council(1))).map((name) => Number(/^round-(\d+)\.json$/.exec(name)?.[1] ?? 0));
    return Math.max(0, ...taken) + 1;
  } catch {
    return 1;
  }
}
