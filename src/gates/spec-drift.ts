// Gate "spec_drift": the spec changed since `loki spec lock` — the work is graded against a target
// that moved, so every added, removed or changed item blocks (DESIGN §4). The caller checks the
// drift (spec/drift.ts; gates import only core); this gate only grades that data, never reads a spec.
import type { DriftReport, Finding, SpecDrift } from "../core/schema.ts";
import { fingerprint, type Gate, type GateOutcome } from "./gate.ts";

const NO_LOCK = "no spec lock (loki spec lock)";

/** Why the gate does not apply (no lock, or a lock deliberately not re-checked); null when it does. */
function notApplicable(drift: SpecDrift | undefined): string | null {
  if (drift === undefined || drift.state === "unlocked") return NO_LOCK;
  if (drift.state === "not_rechecked") return `not re-checked: ${drift.source_ref}: ${drift.reason}`;
  return null;
}

export const specDriftGate: Gate = {
  id: "spec_drift",
  title: "Spec unchanged since lock",
  when: ({ drift }) => notApplicable(drift) ?? true,
  run: async ({ drift }) => {
    if (drift?.state === "unreadable")
      return { status: "inconclusive", reason: `the spec could not be re-read: ${drift.reason}`, findings: [] };
    if (drift?.state === "checked") return gradeReport(drift.report);
    return { status: "skipped", reason: notApplicable(drift) ?? NO_LOCK, findings: [] };
  },
};

function gradeReport(report: DriftReport): GateOutcome {
  const details = {
    source_ref: report.source_ref,
    locked_sha256: report.locked_sha256,
    current_sha256: report.current_sha256,
    added: report.added.length,
    removed: report.removed.length,
    changed: report.changed.length,
  };
  if (report.in_sync)
    return {
      status: "pass",
      reason: `${report.source_ref} matches its lock (${report.locked_sha256.slice(0, 12)})`,
      findings: [],
      details,
    };
  const counts = `+${report.added.length} −${report.removed.length} ~${report.changed.length}`;
  return {
    status: "fail",
    reason: `${report.source_ref} changed since it was locked (${counts} items): re-run \`loki spec lock\` if intended`,
    findings: driftFindings(report),
    details,
  };
}

/** One finding per drifted item; a hash change with no item-level difference still gets one. */
export function driftFindings(drift: DriftReport): Finding[] {
  const file = drift.source_ref;
  const finding = (rule: string, message: string, identity: string): Finding => ({
    severity: "high",
    file,
    message,
    rule,
    fingerprint: fingerprint(rule, file, identity),
  });
  const findings = [
    ...drift.added.map((item) =>
      finding("spec-item-added", `spec item added since lock: [${item.id}] ${item.text}`, `${item.id} ${item.text}`),
    ),
    ...drift.removed.map((item) =>
      finding("spec-item-removed", `spec item removed since lock: [${item.id}] ${item.text}`, `${item.id} ${item.text}`),
    ),
    ...drift.changed.map((item) => {
      const renamed = item.new_id !== item.id ? ` (now [${item.new_id}])` : "";
      return finding(
        "spec-item-changed",
        `spec item changed since lock: [${item.id}]${renamed} "${item.before}" → "${item.after}"`,
        `${item.id} ${item.before} ${item.after}`,
      );
    }),
  ];
  // Edits outside any item (a title, a paragraph) still move the locked hash: the lock is stale.
  if (findings.length === 0)
    findings.push(
      finding(
        "spec-changed",
        `spec text changed since lock (sha256 ${drift.locked_sha256.slice(0, 12)} → ${drift.current_sha256.slice(0, 12)})`,
        drift.current_sha256,
      ),
    );
  return findings;
}
