// GitHub Actions output from an evidence record: workflow-command annotations (escaped per the
// runner's rules, capped so a big diff cannot flood the log) and a markdown job summary. Pure.
import type { Evidence } from "../../core/evidence-schema.ts";
import type { Severity } from "../../core/schema.ts";
import { allFindings, type LocatedFinding } from "./findings.ts";
import { findingsTable, gatesTable, subjectLine } from "./markdown.ts";

const MAX_ANNOTATIONS = 50;
const SUMMARY_FINDINGS = 100;
type Command = "error" | "warning" | "notice";
const COMMANDS: Record<Severity, Command> = { critical: "error", high: "error", medium: "warning", low: "notice", info: "notice" };

/** A workflow command's message: %, CR and LF escaped (toolkit's escapeData). */
export function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** A workflow command's property value: also `:` and `,` (toolkit's escapeProperty). */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

function command(kind: Command, properties: Record<string, string | number | undefined>, message: string): string {
  const props = Object.entries(properties)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([key, value]) => `${key}=${escapeProperty(String(value))}`)
    .join(",");
  return `::${kind}${props ? ` ${props}` : ""}::${escapeData(message)}`;
}

function findingAnnotation(f: LocatedFinding): string {
  const title = `loki ${f.gate}${f.rule ? `: ${f.rule}` : ""} (${f.severity})`;
  return command(COMMANDS[f.severity], { file: f.file, line: f.file === undefined ? undefined : f.line, title }, f.message);
}

/** One line per finding and per inconclusive gate, most severe first, at most MAX_ANNOTATIONS. */
export function annotations(evidence: Evidence): string[] {
  const lines = allFindings(evidence).map(findingAnnotation);
  for (const gate of evidence.gates) {
    if (gate.status === "inconclusive") lines.push(command("warning", { title: `loki ${gate.id}: inconclusive` }, gate.reason));
    else if (gate.status === "fail" && gate.findings.length === 0)
      lines.push(command("error", { title: `loki ${gate.id}: failed` }, gate.reason));
  }
  if (lines.length <= MAX_ANNOTATIONS) return lines;
  const shown = lines.slice(0, MAX_ANNOTATIONS - 1);
  shown.push(
    command(
      "notice",
      { title: "loki verify" },
      `${lines.length - shown.length} more findings are in the job summary, the SARIF upload and .loki/verify/report.md`,
    ),
  );
  return shown;
}

const ICONS: Record<Evidence["verdict"], string> = { VERIFIED: "✅", CONCERNS: "⚠️", BLOCKED: "⛔" };

/** Markdown for $GITHUB_STEP_SUMMARY: verdict, reasons, the gate table, the top findings. */
export function stepSummary(evidence: Evidence): string {
  const lines = [
    `## ${ICONS[evidence.verdict]} loki verify: ${evidence.verdict}`,
    "",
    `${subjectLine(evidence)} — exit ${evidence.exit_code}`,
    "",
  ];
  if (evidence.reasons.length > 0) lines.push(...evidence.reasons.map((r) => `- ${r}`), "");
  lines.push(...gatesTable(evidence), "");
  const findings = allFindings(evidence);
  if (findings.length > 0)
    lines.push(
      `<details${evidence.verdict === "BLOCKED" ? " open" : ""}><summary>${findings.length} finding(s)</summary>`,
      "",
      ...findingsTable(findings, SUMMARY_FINDINGS),
      "",
      "</details>",
      "",
    );
  if (evidence.baseline)
    lines.push(`Baseline \`${evidence.baseline.path}\` suppressed ${evidence.baseline.suppressed} known finding(s).`, "");
  return `${lines.join("\n")}\n`;
}
