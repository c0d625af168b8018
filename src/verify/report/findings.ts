// What every report reads from an evidence record besides the gate table: all findings across
// gates (most severe first), a finding's location, and what the baseline filter suppressed. Pure.
import type { Evidence } from "../../core/evidence-schema.ts";
import type { GateResult, Severity } from "../../core/schema.ts";

/** A finding with the gate that reported it, for reports that list findings across gates. */
export type LocatedFinding = GateResult["findings"][number] & { gate: string };

/** Where a finding suppressed by the baseline is listed, inside its gate's `details`. */
export const SUPPRESSED_KEY = "baseline_suppressed";

const SEVERITY_ORDER: Severity[] = ["critical", "high", "medium", "low", "info"];

export function allFindings(evidence: Evidence): LocatedFinding[] {
  const findings = evidence.gates.flatMap((g) => g.findings.map((f) => ({ ...f, gate: g.id })));
  return findings.sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity));
}

export function locationOf(f: { file?: string; line?: number }): string {
  if (f.file === undefined) return "(no file)";
  return f.line === undefined ? f.file : `${f.file}:${f.line}`;
}

export type Suppressed = { gate: string; location: string; rule: string; fingerprint: string };

/** The suppressed findings each gate lists in `details` (written by the baseline filter). */
export function suppressedOf(evidence: Evidence): Suppressed[] {
  const out: Suppressed[] = [];
  for (const gate of evidence.gates) {
    const list = gate.details?.[SUPPRESSED_KEY];
    if (!Array.isArray(list)) continue;
    for (const item of list as unknown[]) {
      if (typeof item !== "object" || item === null) continue;
      const f = item as { file?: unknown; line?: unknown; rule?: unknown; fingerprint?: unknown };
      const location = locationOf({
        file: typeof f.file === "string" ? f.file : undefined,
        line: typeof f.line === "number" ? f.line : undefined,
      });
      out.push({ gate: gate.id, location, rule: typeof f.rule === "string" ? f.rule : "", fingerprint: String(f.fingerprint ?? "") });
    }
  }
  return out;
}
