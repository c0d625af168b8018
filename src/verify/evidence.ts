// The evidence record and its human report: buildEvidence is pure (results + subject + verdict →
// Evidence); writeEvidence is the one writer of .loki/verify/ (evidence.json, report.md, SARIF,
// JUnit), shared by `loki verify` and a run's ship gate. Never runs a gate, never decides a verdict.
import pkg from "../../package.json" with { type: "json" };
import { Evidence, type VerdictName } from "../core/evidence-schema.ts";
import { SCHEMA_VERSION, type GateResult, type Severity } from "../core/schema.ts";
import { ensureWorkspace, writeFileAtomic, writeJson, type Workspace } from "../core/workspace.ts";
import type { Subject } from "../gates/gate.ts";
import { toJunit } from "./report/junit.ts";
import { toSarif } from "./report/sarif.ts";

export type Scope = Evidence["subject"]["scope"];

export type EvidenceInput = {
  source: Evidence["source"];
  runId: string | null;
  subject: Subject;
  /** What the user asked for (`origin/main`, a sha, "run start"). */
  baseRef: string;
  branch: string | null;
  scope: Scope;
  gates: GateResult[];
  verdict: { verdict: VerdictName; reasons: string[] };
  blockOn: Severity[];
  baseline: Evidence["baseline"];
  stages?: Evidence["stages"];
  /** Defaults to the verdict's own code (0 VERIFIED, 1 CONCERNS, 2 BLOCKED). */
  exitCode?: number;
  now: Date;
};

export const EXIT_CODES: Record<VerdictName, number> = { VERIFIED: 0, CONCERNS: 1, BLOCKED: 2 };

/** Where a finding suppressed by the baseline is listed, inside its gate's `details`. */
export const SUPPRESSED_KEY = "baseline_suppressed";

export function buildEvidence(input: EvidenceInput): Evidence {
  const { subject } = input;
  return Evidence.parse({
    schema_version: SCHEMA_VERSION,
    generated_at: input.now.toISOString(),
    tool: { name: "loki", version: pkg.version },
    source: input.source,
    run_id: input.runId,
    repo: { root: subject.root, head: subject.head, base: subject.base, base_ref: input.baseRef, branch: input.branch },
    subject: {
      files: subject.files.length,
      insertions: subject.files.reduce((sum, f) => sum + f.added.length, 0),
      deletions: subject.files.reduce((sum, f) => sum + f.removedCount, 0),
      includes_worktree: subject.includesWorktree,
      scope: input.scope,
    },
    verdict: input.verdict.verdict,
    exit_code: input.exitCode ?? EXIT_CODES[input.verdict.verdict],
    reasons: input.verdict.reasons,
    block_on: input.blockOn,
    baseline: input.baseline,
    gates: input.gates,
    stages: input.stages ?? [],
  });
}

/** Validated, atomic writes of everything under .loki/verify/ (each file whole or not at all). */
export function writeEvidence(ws: Workspace, evidence: Evidence): { evidence: string; report: string; sarif: string; junit: string } {
  ensureWorkspace(ws);
  const paths = { evidence: ws.evidence, report: ws.report, sarif: ws.sarif, junit: ws.junit };
  writeJson(paths.evidence, Evidence, evidence);
  writeFileAtomic(paths.report, renderReport(evidence));
  writeFileAtomic(paths.sarif, `${JSON.stringify(toSarif(evidence), null, 2)}\n`);
  writeFileAtomic(paths.junit, toJunit(evidence));
  return paths;
}

/** A finding with the gate that reported it, for reports that list findings across gates. */
export type LocatedFinding = GateResult["findings"][number] & { gate: string };

const SEVERITY_ORDER: Severity[] = ["critical", "high", "medium", "low", "info"];

export function allFindings(evidence: Evidence): LocatedFinding[] {
  const findings = evidence.gates.flatMap((g) => g.findings.map((f) => ({ ...f, gate: g.id })));
  return findings.sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity));
}

export function locationOf(f: { file?: string; line?: number }): string {
  if (f.file === undefined) return "(no file)";
  return f.line === undefined ? f.file : `${f.file}:${f.line}`;
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** A markdown table cell: one line, no column breaks. */
export function cell(text: string): string {
  return text.replace(/\r?\n/g, " ").replace(/\|/g, "\\|");
}

export function gatesTable(evidence: Evidence): string[] {
  const rows = evidence.gates.map((g) => `| ${g.id} | ${g.status} | ${formatMs(g.duration_ms)} | ${g.findings.length} | ${cell(g.reason)} |`);
  return ["| gate | status | duration | findings | reason |", "|---|---|---:|---:|---|", ...rows];
}

export function findingsTable(findings: LocatedFinding[], limit: number): string[] {
  if (findings.length === 0) return ["No findings."];
  const rows = findings.slice(0, limit).map((f) => `| ${f.severity} | \`${cell(locationOf(f))}\` | ${f.gate} | ${cell(f.rule ?? "")} | ${cell(f.message)} |`);
  const more = findings.length > limit ? ["", `… and ${findings.length - limit} more (see evidence.json).`] : [];
  return ["| severity | location | gate | rule | message |", "|---|---|---|---|---|", ...rows, ...more];
}

export function subjectLine(evidence: Evidence): string {
  const { repo, subject } = evidence;
  const worktree = subject.includes_worktree ? " + working tree" : "";
  return `${repo.base_ref} (${repo.base.slice(0, 7)}) → ${repo.head.slice(0, 7)}${worktree}${repo.branch ? ` on ${repo.branch}` : ""}: ${subject.files} files, +${subject.insertions} −${subject.deletions}, scope ${subject.scope}`;
}

const REPORT_FINDINGS = 500;

export function renderReport(evidence: Evidence): string {
  const lines = [`# loki ${evidence.source === "verify" ? "verify" : "ship gate"}: ${evidence.verdict} (exit ${evidence.exit_code})`, ""];
  lines.push(`- subject: ${subjectLine(evidence)}`, `- blocks on: ${evidence.block_on.join(", ") || "(nothing by severity)"}`);
  if (evidence.run_id) lines.push(`- run: ${evidence.run_id}`);
  if (evidence.baseline) lines.push(`- baseline: \`${evidence.baseline.path}\` suppressed ${evidence.baseline.suppressed} finding(s)`);
  lines.push(`- generated: ${evidence.generated_at} by loki ${evidence.tool.version}`, "");
  if (evidence.reasons.length > 0) lines.push("## Reasons", "", ...evidence.reasons.map((r) => `- ${r}`), "");
  lines.push("## Gates", "", ...gatesTable(evidence), "");
  if (evidence.stages.length > 0) {
    lines.push("## Ship-gate stages", "", ...evidence.stages.map((s) => `- ${s.id}: ${s.verdict}${s.reasons.length ? ` — ${s.reasons.join("; ")}` : ""}`), "");
  }
  lines.push("## Findings", "", ...findingsTable(allFindings(evidence), REPORT_FINDINGS), "");
  const suppressed = suppressedOf(evidence);
  if (evidence.baseline) {
    lines.push("## Suppressed by the baseline", "");
    if (suppressed.length === 0) lines.push("Nothing: no current finding is in the baseline.");
    for (const s of suppressed.slice(0, REPORT_FINDINGS)) lines.push(`- ${s.gate}: \`${cell(s.location)}\` ${cell(s.rule)} (${s.fingerprint})`);
    lines.push("");
  }
  return `${lines.join("\n")}\n`;
}

type Suppressed = { gate: string; location: string; rule: string; fingerprint: string };

/** The suppressed findings each gate lists in `details` (written by the baseline filter). */
export function suppressedOf(evidence: Evidence): Suppressed[] {
  const out: Suppressed[] = [];
  for (const gate of evidence.gates) {
    const list = gate.details?.[SUPPRESSED_KEY];
    if (!Array.isArray(list)) continue;
    for (const item of list as unknown[]) {
      if (typeof item !== "object" || item === null) continue;
      const f = item as { file?: unknown; line?: unknown; rule?: unknown; fingerprint?: unknown };
      const location = locationOf({ file: typeof f.file === "string" ? f.file : undefined, line: typeof f.line === "number" ? f.line : undefined });
      out.push({ gate: gate.id, location, rule: typeof f.rule === "string" ? f.rule : "", fingerprint: String(f.fingerprint ?? "") });
    }
  }
  return out;
}
