// The pull request's description, from the run's own record (or, in CI, from its signed proof alone):
// what changed, the verdict, the gates, the council, the cost, the proof's fingerprint and how to
// re-check it, and `Closes #n`. Pure.
import type { Evidence } from "../core/evidence-schema.ts";
import type { Proof } from "../core/proof-schema.ts";
import type { Completion } from "../core/run-schema.ts";
import { issueKey, type IssueRef } from "../forge/types.ts";

type RunFacts = Pick<Completion, "run_id" | "outcome" | "reason" | "iterations" | "diffstat" | "cost">;

export type PrFacts = {
  title: string;
  completion: RunFacts;
  evidence: Pick<Evidence, "gates"> | null;
  council: Proof["council"][number] | null;
  proof: { headline: string; sha256: string; fingerprint: string } | null;
  issue: IssueRef | null;
  files: string[];
  /** Where the proof can be read and re-checked (default: the machine that ran it). */
  proofWhere?: string;
};

const MARK: Record<string, string> = { pass: "✅", fail: "❌", inconclusive: "⚠️", skipped: "➖" };

export function pullRequestBody(facts: PrFacts): string {
  const c = facts.completion;
  const lines = [
    `loki built this from ${issueLabel(facts.issue) ?? "its spec"} and verified it before opening this pull request.`,
    "",
    `**Verdict: ${facts.proof?.headline ?? c.outcome.toUpperCase()}** — ${c.reason}`,
    "",
    "### What changed",
    `${c.diffstat.files} files, +${c.diffstat.insertions} −${c.diffstat.deletions} over ${c.iterations} iteration${c.iterations === 1 ? "" : "s"}`,
    ...facts.files.slice(0, 30).map((f) => `- ${codeSpan(f)}`),
    ...(facts.files.length > 30 ? [`- … and ${facts.files.length - 30} more`] : []),
  ];
  if (facts.evidence) {
    lines.push("", "### Gates", "| gate | result | why |", "|---|---|---|");
    for (const g of facts.evidence.gates)
      lines.push(`| ${g.id} | ${MARK[g.status] ?? ""} ${g.status} | ${g.reason.replace(/\|/g, "\\|")} |`);
  }
  if (facts.council) {
    const votes = facts.council.reviewers.map((r) => `${r.role}: ${r.verdict}`).join(" · ");
    const devil = facts.council.devils_advocate ? ` · devil's advocate: ${facts.council.devils_advocate.verdict}` : "";
    lines.push("", "### Council", `Round ${facts.council.round}: ${votes}${devil} — ${facts.council.passed ? "passed" : "not passed"}`);
  }
  lines.push("", "### Cost", `$${c.cost.usd.toFixed(2)} (${c.cost.basis})`);
  if (facts.proof) {
    lines.push(
      "",
      "### Proof of run",
      `Signed proof \`${c.run_id}\`: sha256 \`${facts.proof.sha256}\`, key \`${facts.proof.fingerprint}\`.`,
    );
    lines.push(
      facts.proofWhere ??
        `Re-check it in a clone of this branch: \`loki proof verify ${c.run_id}\` (the proof is in \`.loki/proofs/${c.run_id}/\` on the machine that ran it; \`loki proof share ${c.run_id}\` publishes it).`,
    );
  }
  const closes = closesLine(facts.issue);
  if (closes) lines.push("", closes);
  return `${lines.join("\n")}\n`;
}

/** The facts of a pull request told by a signed proof alone (`loki ci deliver`: nothing else is trusted). */
export function proofPrFacts(
  file: { payload: Proof; provenance: { canonical_sha256: string; key_fingerprint: string } },
  issue: IssueRef,
  proofWhere: string,
): PrFacts {
  const p = file.payload;
  return {
    title: p.spec.title,
    completion: {
      run_id: p.run.id,
      outcome: p.run.outcome,
      reason: p.run.reason,
      iterations: p.run.iterations,
      diffstat: p.change.diffstat,
      cost: { usd: p.bill.total_usd, basis: p.bill.basis },
    },
    evidence: { gates: p.gates.results },
    council: p.council.at(-1) ?? null,
    proof: { headline: p.headline.verdict, sha256: file.provenance.canonical_sha256, fingerprint: file.provenance.key_fingerprint },
    issue,
    files: p.change.files.map((f) => f.path),
    proofWhere,
  };
}

/** A path as inline code whatever it holds: a fence longer than any backtick run in it (CommonMark). */
function codeSpan(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  return longest === 0 ? `${fence}${text}${fence}` : `${fence} ${text.replace(/\n/g, " ")} ${fence}`;
}

export function issueLabel(ref: IssueRef | null): string | null {
  return ref ? issueKey(ref) : null;
}

/** GitHub and GitLab close the issue when the PR merges; Jira and Azure DevOps link by key/id. */
function closesLine(ref: IssueRef | null): string | null {
  if (!ref) return null;
  if (ref.tracker === "github" || ref.tracker === "gitlab") return `Closes #${ref.number}`;
  return ref.tracker === "jira" ? `Resolves ${ref.key}` : `Fixes AB#${ref.id}`;
}
