// report.md from an evidence record — verdict, reasons, gate table, findings with file:line, what
// the baseline suppressed — and the markdown tables the GitHub job summary shares with it. Pure.
import type { Evidence } from "../../core/evidence-schema.ts";
import { allFindings, locationOf, suppressedOf, type LocatedFinding } from "./findings.ts";

const REPORT_FINDINGS = 500;

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** A markdown table cell: one line, no column breaks. */
export function cell(text: string): string {
  return text.replace(/\r?\n/g, " ").replace(/\|/g, "\\|");
}

export function gatesTable(evidence: Evidence): string[] {
  const rows = evidence.gates.map(
    (g) => `| ${g.id} | ${g.status} | ${formatMs(g.duration_ms)} | ${g.findings.length} | ${cell(g.reason)} |`,
  );
  return ["| gate | status | duration | findings | reason |", "|---|---|---:|---:|---|", ...rows];
}

export function findingsTable(findings: LocatedFinding[], limit: number): string[] {
  if (findings.length === 0) return ["No findings."];
  const rows = findings
    .slice(0, limit)
    .map((f) => `| ${f.severity} | \`${cell(locationOf(f))}\` | ${f.gate} | ${cell(f.rule ?? "")} | ${cell(f.message)} |`);
  const more = findings.length > limit ? ["", `… and ${findings.length - limit} more (see evidence.json).`] : [];
  return ["| severity | location | gate | rule | message |", "|---|---|---|---|---|", ...rows, ...more];
}

export function subjectLine(evidence: Evidence): string {
  const { repo, subject } = evidence;
  const worktree = subject.includes_worktree ? " + working tree" : "";
  return `${repo.base_ref} (${repo.base.slice(0, 7)}) → ${repo.head.slice(0, 7)}${worktree}${repo.branch ? ` on ${repo.branch}` : ""}: ${subject.files} files, +${subject.insertions} −${subject.deletions}, scope ${subject.scope}`;
}

export function renderReport(evidence: Evidence): string {
  const lines = [`# loki ${evidence.source === "verify" ? "verify" : "ship gate"}: ${evidence.verdict} (exit ${evidence.exit_code})`, ""];
  lines.push(`- subject: ${subjectLine(evidence)}`, `- blocks on: ${evidence.block_on.join(", ") || "(nothing by severity)"}`);
  if (evidence.run_id) lines.push(`- run: ${evidence.run_id}`);
  if (evidence.sandboxed === false) lines.push("- sandbox: none — unsandboxed: held-out secrecy and state integrity not enforced");
  if (evidence.baseline) lines.push(`- baseline: \`${evidence.baseline.path}\` suppressed ${evidence.baseline.suppressed} finding(s)`);
  lines.push(`- generated: ${evidence.generated_at} by loki ${evidence.tool.version}`, "");
  if (evidence.reasons.length > 0) lines.push("## Reasons", "", ...evidence.reasons.map((r) => `- ${r}`), "");
  lines.push("## Gates", "", ...gatesTable(evidence), "");
  if (evidence.stages.length > 0) {
    lines.push(
      "## Ship-gate stages",
      "",
      ...evidence.stages.map((s) => `- ${s.id}: ${s.verdict}${s.reasons.length ? ` — ${s.reasons.join("; ")}` : ""}`),
      "",
    );
  }
  lines.push("## Findings", "", ...findingsTable(allFindings(evidence), REPORT_FINDINGS), "");
  const suppressed = suppressedOf(evidence);
  if (evidence.baseline) {
    lines.push("## Suppressed by the baseline", "");
    if (suppressed.length === 0) lines.push("Nothing: no current finding is in the baseline.");
    for (const s of suppressed.slice(0, REPORT_FINDINGS))
      lines.push(`- ${s.gate}: \`${cell(s.location)}\` ${cell(s.rule)} (${s.fingerprint})`);
    lines.push("");
  }
  return `${lines.join("\n")}\n`;
}
